"""What a file may be (documented in the README's Files section; the settings override them).

Sources: Stripe's File upload guide (https://docs.stripe.com/file-upload: `dispute_evidence` takes
PDF, JPEG and PNG, at most 5 MB per file) and its dispute evidence guide
(https://docs.stripe.com/disputes/best-practices: the evidence files of one dispute together at
most 4.5 MB, because the networks refuse larger submissions)."""

from django.conf import settings

# The first bytes of each accepted type (the extension alone decides nothing).
MAGIC = (
    (b"%PDF-", "pdf"),
    (b"\xff\xd8\xff", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "png"),
)
EXTENSIONS = {"pdf": "pdf", "jpg": "jpg", "jpeg": "jpg", "png": "png"}
CONTENT_TYPES = {"pdf": "application/pdf", "jpg": "image/jpeg", "png": "image/png"}


def max_file_bytes() -> int:
    return int(getattr(settings, "FILES_MAX_BYTES", 5 * 1024 * 1024))


def max_dispute_evidence_bytes() -> int:
    return int(getattr(settings, "DISPUTE_EVIDENCE_MAX_BYTES", 4_718_592))  # 4.5 MB


def download_url_max_age() -> int:
    """Seconds a file object's signed download URL stays valid."""
    return int(getattr(settings, "FILES_URL_MAX_AGE", 3600))


def detect_type(head: bytes) -> str | None:
    for magic, kind in MAGIC:
        if head.startswith(magic):
            return kind
    return None
