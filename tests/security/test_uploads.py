"""Staff uploads in the CMS: only image and document types that cannot carry script, within
a size and a pixel count; a refused upload answers with the form's message and stores
nothing (no row, no file)."""

import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image as PILImage
from wagtail.documents.models import Document
from wagtail.images.models import Image
from wagtail.models import Collection

pytestmark = pytest.mark.django_db

IMAGES = "/cms-admin/images/add/"
DOCUMENTS = "/cms-admin/documents/add/"


def png(size=(40, 30)) -> bytes:
    buffer = io.BytesIO()
    PILImage.new("RGB", size, "purple").save(buffer, format="PNG")
    return buffer.getvalue()


def upload(client, url, name, content, content_type):
    files_before = stored_files()
    response = client.post(
        url,
        {
            "title": name,
            "file": SimpleUploadedFile(name, content, content_type=content_type),
            "collection": Collection.get_first_root_node().pk,
        },
    )
    # Only this upload's files: other tests (and workers) write to the same media directory.
    stem = Path(name).stem
    return response, {p for p in stored_files() - files_before if p.name.startswith(stem)}


def refusal(response) -> str:
    """The form's errors, as staff read them."""
    assert response.status_code == 200
    return " ".join(str(e) for errors in response.context["form"].errors.values() for e in errors)


def stored_files() -> set[Path]:
    root = Path(settings.MEDIA_ROOT)
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def test_a_real_image_is_accepted(admin_client):
    response, added = upload(admin_client, IMAGES, "hero.png", png(), "image/png")
    assert response.status_code == 302 and Image.objects.count() == 1 and added


@pytest.mark.parametrize(
    ("name", "content", "content_type", "message"),
    [
        (
            "page.png",
            b"<html><script>alert(1)</script></html>",
            "image/png",
            "Not a valid .png image",
        ),
        (
            "logo.svg",
            b'<svg xmlns="http://www.w3.org/2000/svg"><script/></svg>',
            "image/svg+xml",
            "Not a supported image format",
        ),
        ("tool.exe", b"MZ\x90\x00", "application/octet-stream", "Upload a valid image"),
    ],
)
def test_anything_but_an_image_is_refused(admin_client, name, content, content_type, message):
    response, added = upload(admin_client, IMAGES, name, content, content_type)
    assert message in refusal(response)
    assert not Image.objects.exists() and not added


def test_an_image_over_the_size_or_pixel_limit_is_refused(admin_client, settings):
    settings.WAGTAILIMAGES_MAX_UPLOAD_SIZE = 1_000
    response, added = upload(
        admin_client, IMAGES, "big.png", png((400, 400)) + b"\0" * 2_000, "image/png"
    )
    assert "too big" in refusal(response)
    settings.WAGTAILIMAGES_MAX_UPLOAD_SIZE = 10 * 1024 * 1024
    settings.WAGTAILIMAGES_MAX_IMAGE_PIXELS = 1_000
    response, added_too = upload(admin_client, IMAGES, "wide.png", png((100, 100)), "image/png")
    assert "too many pixels" in refusal(response)
    assert not Image.objects.exists() and not added and not added_too


def test_documents_of_the_listed_types_only(admin_client, settings):
    response, added = upload(
        admin_client, DOCUMENTS, "terms.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf"
    )
    assert response.status_code == 302 and Document.objects.count() == 1 and added
    for name in ("page.html", "run.exe", "script.js", "vector.svg"):
        response, added = upload(
            admin_client, DOCUMENTS, name, b"<script>alert(1)</script>", "text/html"
        )
        assert "File extension" in refusal(response), name
        assert not added
    settings.WAGTAILDOCS_MAX_UPLOAD_SIZE = 100
    response, added = upload(
        admin_client, DOCUMENTS, "big.pdf", b"%PDF-1.4\n" + b"x" * 500, "application/pdf"
    )
    assert "too big" in refusal(response) and not added
    assert Document.objects.count() == 1
