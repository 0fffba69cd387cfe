"""The parts of a multipart/form-data body (file uploads), parsed by the standard library's email parser."""

import msgspec


class Part(msgspec.Struct, frozen=True):
    name: str  # the form field
    filename: str | None
    content_type: str
    content: bytes


def parts(content_type: str | None, body: bytes) -> list[Part]:
    """The body's parts; none when it is not multipart/form-data."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media != "multipart/form-data":
        return []
    import email.parser  # with email.policy, ~0.5 MB of modules a worker needs only for an upload
    import email.policy

    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + (content_type or "").encode("latin-1") + b"\r\n\r\n" + body
    )
    if not message.is_multipart():
        return []
    out = []
    for part in message.iter_parts():
        payload = part.get_payload(decode=True)
        name = part.get_param("name", header="content-disposition")
        if isinstance(payload, bytes) and isinstance(name, str):
            out.append(Part(name, part.get_filename(), part.get_content_type(), payload))
    return out
