"""Where samples come from: TikTok (yt-dlp) and direct media URLs, behind one interface."""
