"""`fields` selection and query-string decoding."""

import msgspec
import pytest

from commerce.errors import InvalidData
from commerce.http import fields
from commerce.http.request import decode_query
from commerce.listing import ListQuery

SHAPE = fields.Shape(("id", "name", "code", "metadata"), {"countries": fields.Shape(("iso_2", "name"))})
DEFAULTS = ("id", "name", "*countries")
OBJ = {
    "id": "r1",
    "name": "EU",
    "code": "eur",
    "metadata": None,
    "countries": [{"iso_2": "de", "name": "GERMANY"}, {"iso_2": "fr", "name": "FRANCE"}],
}


def select(param: str | None) -> dict[str, object]:
    return fields.apply(fields.plan(SHAPE, DEFAULTS, param), OBJ)


def test_defaults_add_remove_replace() -> None:
    assert select(None) == {"id": "r1", "name": "EU", "countries": OBJ["countries"]}
    assert select("+code,-countries") == {"id": "r1", "name": "EU", "code": "eur"}
    assert select(" code,-countries") == {"id": "r1", "name": "EU", "code": "eur"}, "a decoded + is a space"
    assert select("*countries,+code") == select("+code"), "*relation adds to the defaults"
    assert select("code") == {"id": "r1", "code": "eur"}
    assert select("countries.iso_2") == {"id": "r1", "countries": [{"iso_2": "de"}, {"iso_2": "fr"}]}
    assert select("*") == {**OBJ}, "* adds every scalar to the defaults"
    assert select("-countries.name") == {"id": "r1", "name": "EU", "countries": [{"iso_2": "de"}, {"iso_2": "fr"}]}
    # Medusa's storefront sends `*items.metadata`: a star before a plain field selects that field.
    assert select("*code") == select("+code")
    assert select("*countries.iso_2,-countries.name") == select("-countries.name")


@pytest.mark.parametrize("param", ["nope", "+countries.nope", "*nope", "name.x"])
def test_unknown_fields_are_invalid(param: str) -> None:
    with pytest.raises(InvalidData, match="unknown field"):
        select(param)


class Q(ListQuery, kw_only=True):
    id: list[str] | None = None
    flag: bool | None = None


def test_query_decoding() -> None:
    q = decode_query("limit=5&offset=10&id[]=a&id[]=b&id=c&flag=true&fields=%2Bname", Q)
    assert (q.limit, q.offset, q.id, q.flag, q.fields) == (5, 10, ["a", "b", "c"], True, "+name")
    assert decode_query("id[0]=x&id[1]=y", Q).id == ["x", "y"]
    assert decode_query("", Q) == Q()
    assert decode_query("unknown=1", Q) == Q(), "unknown query parameters are ignored, as Medusa's store does"
    assert (decode_query("id=null", Q).id, decode_query("q=null", ListQueryQ).q) == (["null"], "null"), "text"


class ListQueryQ(ListQuery, kw_only=True):
    q: str | None = None


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ("limit=x", "limit"),
        ("offset=-1", "offset"),
        ("limit=1&limit=2", "limit"),
        ("flag=maybe", "flag"),
        ("limit=100000", "limit"),
        ("flag=null", "flag"),  # msgspec alone reads "null" as None, as if the parameter were left out
    ],
)
def test_bad_query_values_name_the_parameter(raw: str, field: str) -> None:
    with pytest.raises(InvalidData, match=field):
        decode_query(raw, Q)


def test_list_query_defaults_match_medusa() -> None:
    assert msgspec.structs.asdict(ListQuery()) == {"limit": 20, "offset": 0, "order": None, "fields": None}
