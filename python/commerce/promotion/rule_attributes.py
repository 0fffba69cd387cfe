"""The rule attributes the admin's promotion forms offer, per rule type, as Medusa defines them
(packages/medusa/src/api/admin/promotions/utils/rule-attributes-map.ts and operators-map.ts): the attributes a
rule may test, and the "disguised" ones that are fields of the promotion shown as rules (currency_code of a fixed
amount, buy-get quantities)."""

from typing import Any

OPERATORS = {
    "in": {"id": "in", "value": "in", "label": "In"},
    "eq": {"id": "eq", "value": "eq", "label": "Equal"},
    "ne": {"id": "ne", "value": "ne", "label": "Not In"},
}
ALL_OPERATOR_LABELS = {
    "in": "In",
    "eq": "Equal",
    "ne": "Not In",
    "gt": "Greater than",
    "gte": "Greater than or equal",
    "lt": "Less than",
    "lte": "Less than or equal",
}


def _attribute(id_: str, value: str, label: str) -> dict[str, Any]:
    return {
        "id": id_,
        "value": value,
        "label": label,
        "required": False,
        "field_type": "multiselect",
        "operators": list(OPERATORS.values()),
    }


RULES = (
    _attribute("customer_group", "customer.groups.id", "Customer Group"),
    _attribute("region", "region.id", "Region"),
    _attribute("country", "shipping_address.country_code", "Country"),
    _attribute("sales_channel", "sales_channel_id", "Sales Channel"),
)
ITEM_RULES = (
    _attribute("product", "items.product.id", "Product"),
    _attribute("product_category", "items.product.categories.id", "Product Category"),
    _attribute("product_collection", "items.product.collection_id", "Product Collection"),
    _attribute("product_type", "items.product.type_id", "Product Type"),
    _attribute("product_tag", "items.product.tags.id", "Product Tag"),
)


def _disguised(id_: str, label: str, field_type: str, required: bool = True, hydrate: bool = False) -> dict[str, Any]:
    rule = {
        "id": id_,
        "value": id_,
        "label": label,
        "field_type": field_type,
        "required": required,
        "disguised": True,
        "operators": [OPERATORS["eq"]],
    }
    return {**rule, "hydrate": True} if hydrate else rule


def attributes(promotion_type: str | None, method_type: str | None) -> dict[str, list[dict[str, Any]]]:
    """Medusa's getRuleAttributesMap: the attributes of `rules`, `target-rules` and `buy-rules`."""
    currency = _disguised("currency_code", "Currency Code", "select", method_type == "fixed", hydrate=True)
    out = {"rules": [*RULES, currency], "target-rules": list(ITEM_RULES), "buy-rules": list(ITEM_RULES)}
    if promotion_type == "buyget":
        out["buy-rules"].append(_disguised("buy_rules_min_quantity", "Minimum quantity of items", "number"))
        out["target-rules"].append(
            _disguised("apply_to_quantity", "Quantity of items promotion will apply to", "number")
        )
    return out


def shown_rules(promotion: dict[str, Any], rule_type: str, query: dict[str, str | None]) -> list[dict[str, Any]]:
    """Medusa's GET /admin/promotions/:id/:rule_type: the promotion's rules of that type with their labels, then its
    disguised fields that are required or set. `promotion` is {} for an unknown id (the create form asks with
    `null`), and the query's types stand in for the promotion's."""
    method = promotion.get("application_method") or {}
    available = attributes(
        promotion.get("type") or query.get("promotion_type"),
        method.get("type") or query.get("application_method_type"),
    )[rule_type]
    stored = promotion.get("rules", []) if rule_type == "rules" else method.get(rule_type.replace("-", "_"), [])
    out = []
    for rule in stored:
        attribute = next((a for a in available if a["value"] == rule["attribute"]), None)
        if attribute is None:
            continue
        out.append(
            {
                **attribute,
                **rule,
                "attribute_label": attribute["label"],
                "operator_label": ALL_OPERATOR_LABELS.get(rule["operator"], rule["operator"]),
                "values": [{"value": v["value"], "label": v["value"]} for v in rule["values"]],
            }
        )
    for attribute in (a for a in available if a.get("disguised")):
        value = method.get(attribute["id"])
        if not (attribute["required"] or value):
            continue
        if attribute["field_type"] == "number":
            values: Any = value
        else:
            values = [{"label": value, "value": value}] if value else []
        out.append(
            {
                **attribute,
                "id": None,
                "attribute": attribute["id"],
                "attribute_label": attribute["label"],
                "operator": "eq",
                "operator_label": ALL_OPERATOR_LABELS["eq"],
                "value": None,
                "values": values,
            }
        )
    return out
