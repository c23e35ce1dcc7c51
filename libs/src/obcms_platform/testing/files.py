"""Files for the attachment tests: small but real ones of each kind (their signatures are
what libmagic reads), and a virus-scan hook that refuses the EICAR test file."""

from __future__ import annotations

import io
import zipfile
from typing import BinaryIO

from obcms_platform.attachments import AttachmentRejected

# The anti-virus test file every scanner reports as infected (it is harmless text).
EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
EICAR_REASON = "the virus scan found the EICAR test signature"

PDF = (
    b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
    b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"
)
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)
# A Linux executable's header, and a Windows one's: what a renamed program starts with.
ELF = b"\x7fELF\x02\x01\x01\x00" + bytes(8) + b"\x02\x00\x3e\x00\x01\x00\x00\x00" + bytes(40)
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + bytes(48)

OFFICE_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
}
# The part an OOXML package's content starts from.
_OOXML_MAIN_PART = {
    "docx": "word/document.xml",
    "xlsx": "xl/workbook.xml",
    "pptx": "ppt/presentation.xml",
}


def office_file(kind: str) -> bytes:
    """A minimal package of the office format `kind` (a key of `OFFICE_TYPES`), laid out as
    office suites write it: OOXML's content types first, OpenDocument's ``mimetype`` entry
    first and uncompressed."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        if kind in _OOXML_MAIN_PART:
            package.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
            package.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships/>')
            package.writestr(_OOXML_MAIN_PART[kind], '<?xml version="1.0"?><root/>')
        else:
            package.writestr(
                zipfile.ZipInfo("mimetype"), OFFICE_TYPES[kind], compress_type=zipfile.ZIP_STORED
            )
            package.writestr("content.xml", '<?xml version="1.0"?><office:document-content/>')
            package.writestr("META-INF/manifest.xml", '<?xml version="1.0"?><manifest/>')
    return buffer.getvalue()


def plain_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("notes.txt", "not an office document")
    return buffer.getvalue()


def refuse_eicar(filename: str, content: BinaryIO, content_type: str) -> None:
    """A scan hook (``ATTACHMENT_SCAN_HOOK=obcms_platform.testing.files:refuse_eicar``)."""
    if EICAR in content.read():
        raise AttachmentRejected(EICAR_REASON)
