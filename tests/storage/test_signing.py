"""Content-Disposition values and SigV4 re-signing (checked end to end in test_s3.py)."""

from __future__ import annotations

from cratedig.storage.signing import content_disposition, resign_with_params


class TestContentDisposition:
    def test_ascii_name(self) -> None:
        assert content_disposition("loop.wav") == 'attachment; filename="loop.wav"'

    def test_quotes_slashes_and_control_characters_are_dropped(self) -> None:
        assert content_disposition('a"b/c\\d\r\n.wav') == 'attachment; filename="abcd.wav"'

    def test_unicode_gets_an_rfc5987_form(self) -> None:
        assert content_disposition("Beyoncé.mp3") == (
            "attachment; filename=\"Beyonce.mp3\"; filename*=UTF-8''Beyonc%C3%A9.mp3"
        )

    def test_empty_name_falls_back(self) -> None:
        assert content_disposition('""') == 'attachment; filename="download"'


class TestResign:
    def test_not_a_sigv4_url_is_left_alone(self) -> None:
        assert resign_with_params("https://example.com/a?b=c", "s", {"x": "y"}) is None

    def test_signature_depends_on_the_extra_params(self) -> None:
        url = (
            "http://127.0.0.1:1/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256"
            "&X-Amz-Credential=AK%2F20260101%2Fus-east-1%2Fs3%2Faws4_request"
            "&X-Amz-Date=20260101T000000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host"
            "&X-Amz-Signature=abc"
        )
        first = resign_with_params(url, "secret", {"response-content-disposition": "a"})
        second = resign_with_params(url, "secret", {"response-content-disposition": "b"})
        assert first is not None
        assert second is not None
        assert "X-Amz-Signature=abc" not in first
        assert first.split("X-Amz-Signature=")[1] != second.split("X-Amz-Signature=")[1]
        assert "response-content-disposition=a" in first
