"""Medusa's upload routes: files kept in PostgreSQL, answered by id, served back byte for byte, deleted."""

import httpx


def test_upload_retrieve_serve_delete(admin: httpx.Client, client: httpx.Client) -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
    r = admin.post(
        "/admin/uploads",
        files=[("files", ("front.png", png, "image/png")), ("files", ("notes <1>.html", b"<script>", "text/html"))],
    )
    assert r.status_code == 200, r.text
    image, page = r.json()["files"]
    assert image["id"].startswith("file_") and image["id"].endswith("front.png")
    assert image["url"].endswith(f"/uploads/{image['id']}")
    assert admin.get(f"/admin/uploads/{image['id']}").json() == {"file": image}

    served = client.get(f"/uploads/{image['id']}")
    assert served.status_code == 200 and served.content == png
    assert served.headers["content-type"] == "image/png"
    # Not an image: downloaded, never shown as a page of this origin.
    other = client.get(f"/uploads/{page['id']}")
    assert other.content == b"<script>" and other.headers["content-type"] == "application/octet-stream"
    assert other.headers["content-disposition"].startswith("attachment")

    gone = admin.delete(f"/admin/uploads/{image['id']}")
    assert gone.status_code == 200 and gone.json() == {"id": image["id"], "object": "file", "deleted": True}
    assert admin.get(f"/admin/uploads/{image['id']}").status_code == 404
    assert client.get(f"/uploads/{image['id']}").status_code == 404


def test_upload_refuses_no_files_and_bad_types(admin: httpx.Client, client: httpx.Client) -> None:
    none = admin.post("/admin/uploads", files={"other": ("a.txt", b"a", "text/plain")})
    assert none.status_code == 400 and none.json()["type"] == "invalid_data"
    assert admin.post("/admin/uploads", json={"files": []}).status_code == 400
    bad = admin.post("/admin/uploads/presigned-urls", json={"originalname": "a", "size": 1, "mime_type": "nonsense"})
    assert bad.status_code == 400 and bad.json()["message"] == 'Invalid file type "nonsense"'
    assert client.post("/admin/uploads", files={"files": ("a.txt", b"a", "text/plain")}).status_code == 401
