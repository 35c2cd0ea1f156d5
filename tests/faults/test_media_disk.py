"""A full or unusable media disk during a CMS upload: a plain answer, nothing half-written.

Faults come from the operating system, not from Python: a file-size limit on this process
(`RLIMIT_FSIZE`, with SIGXFSZ ignored) makes the kernel refuse the upload's write part-way
with EFBIG, as a full disk refuses with ENOSPC; a MEDIA_ROOT whose parent is a regular file
makes it refuse the directory with ENOTDIR before any byte is written. Through the Wagtail
admin's image and document upload pages (the form, and the drag-and-drop upload that answers
JSON): the editor reads that nothing was saved and why, no Image or Document row is left,
no partial file stays on disk, and once the disk takes files again the same upload is stored
under its own name. Refused file types and sizes: `tests/security/test_uploads.py`.
"""

import contextlib
import io
import resource
import signal
from pathlib import Path

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image as PILImage
from wagtail.documents.models import Document
from wagtail.images.models import Image
from wagtail.models import Collection

from tests.browser.conftest import wagtail_baseline

pytestmark = pytest.mark.django_db


def noisy_png() -> bytes:
    """A PNG of about 115 kB: noise does not compress, so the write takes many blocks."""
    buffer = io.BytesIO()
    PILImage.effect_noise((300, 300), 80).convert("RGB").save(buffer, format="PNG")
    return buffer.getvalue()


def pdf() -> bytes:
    return b"%PDF-1.4\n" + b"1 0 obj << >> endobj\n" * 5_000 + b"%%EOF\n"


# upload page → (model, file name, content type, content, form page or drag-and-drop)
UPLOADS = {
    "image-form": (Image, "hero.png", "image/png", noisy_png, "/cms-admin/images/add/"),
    "image-drop": (Image, "hero.png", "image/png", noisy_png, "/cms-admin/images/multiple/add/"),
    "document-form": (Document, "terms.pdf", "application/pdf", pdf, "/cms-admin/documents/add/"),
    "document-drop": (
        Document,
        "terms.pdf",
        "application/pdf",
        pdf,
        "/cms-admin/documents/multiple/add/",
    ),
}


@contextlib.contextmanager
def file_size_limit(limit: int):
    """Writes past `limit` bytes of any file fail with EFBIG (the signal the kernel sends
    first is ignored, as a server process would not die of a full disk either)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous)


def disk_full(settings, tmp_path, size):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return file_size_limit(size // 2), "File too large"


def directory_unusable(settings, tmp_path, size):
    (tmp_path / "mounted").write_text("a file where the media directory's parent should be")
    settings.MEDIA_ROOT = str(tmp_path / "mounted" / "media")
    return contextlib.nullcontext(), "Not a directory"


FAULTS = {"disk-full-EFBIG": disk_full, "directory-ENOTDIR": directory_unusable}


def post(client, url, name, content_type, content):
    upload = SimpleUploadedFile(name, content, content_type=content_type)
    root = Collection.get_first_root_node().pk
    if "/multiple/" in url:
        return client.post(url, {"files[]": upload, "title": name, "collection": root})
    return client.post(url, {"file": upload, "title": name, "collection": root})


def files_under(root) -> list[Path]:
    root = Path(root)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else []


# The drag-and-drop views save outside a transaction of their own, as production runs them
# (autocommit): a test transaction around them would be marked broken by the refused save.
AUTOCOMMIT = pytest.mark.django_db(transaction=True)
UPLOAD_CASES = [
    pytest.param(name, marks=[AUTOCOMMIT] if "drop" in name else [], id=name) for name in UPLOADS
]


@pytest.mark.parametrize("fault", FAULTS, ids=list(FAULTS))
@pytest.mark.parametrize("upload", UPLOAD_CASES)
def test_an_upload_the_disk_refuses_tells_the_editor_and_leaves_nothing_behind(
    admin_client, settings, tmp_path, upload, fault
):
    """The editor reads that nothing was saved and the disk's reason; no row, no file; the
    same upload succeeds once the disk takes files again."""
    wagtail_baseline()  # an earlier autocommit test's flush took the root collection
    model, name, content_type, make, url = UPLOADS[upload]
    content = make()
    fault_in_effect, reason = FAULTS[fault](settings, tmp_path, len(content))

    with fault_in_effect:
        response = post(admin_client, url, name, content_type, content)

    said = f"{name} could not be stored, so nothing was saved: the media storage said “{reason}”"
    if "/multiple/" in url:
        assert response.status_code == 200
        answer = response.json()
        assert answer["success"] is False and said in answer["error_message"]
    else:
        assert (response.status_code, response["Location"]) == (302, url)
        assert [str(m) for m in get_messages(response.wsgi_request)][0].startswith(said)
        assert said in admin_client.get(url).content.decode()  # shown on the form again
    assert not model.objects.exists()
    assert files_under(tmp_path / "media") == []  # not even the part that fitted

    settings.MEDIA_ROOT = str(tmp_path / "media")  # room again, a usable directory
    response = post(admin_client, url, name, content_type, content)

    assert response.status_code in (200, 302)
    stored = model.objects.get()
    assert Path(stored.file.name).name == name  # no leftover forced a new name
    assert Path(stored.file.path).read_bytes() == content
