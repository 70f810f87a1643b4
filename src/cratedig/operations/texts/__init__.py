"""How the command line renders each kind's run: the reference scripts' text where there is
one (a module named after the kind), the generic rendering otherwise."""
