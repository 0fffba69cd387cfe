"""The demo store's customers (one in the VIP group the catalog's VIP price list is for) and its tax regions (one
per country the regions ship to, on the system tax provider with no default rate: prices stay as they are, and an
operator sets rates in the admin)."""

from typing import Any

from psycopg import AsyncConnection

from commerce import customer, tax
from commerce.customer.schemas import CreateCustomer, GroupListQuery
from commerce.tax.schemas import CreateTaxRegion

CUSTOMERS = (
    ("grace.hopper@example.com", "Grace", "Hopper", "COBOL Inc."),
    ("alan.turing@example.com", "Alan", "Turing", None),
    ("ada.lovelace@example.com", "Ada", "Lovelace", "Analytical Engines"),
)
VIP_EMAIL = CUSTOMERS[0][0]


async def seed_people(conn: AsyncConnection[Any], countries: list[str], created_by: str) -> None:
    made = {}
    for email, first, last, company in CUSTOMERS:
        data = CreateCustomer(email=email, first_name=first, last_name=last, company_name=company)
        made[email] = await customer.service.create(conn, data, has_account=False, created_by=created_by)
    groups, _ = await customer.service.list_groups(conn, GroupListQuery(name=["VIP"], limit=1))
    if groups:
        await customer.service.link_groups(conn, [(made[VIP_EMAIL].id, groups[0].id)], [], created_by)
    for country in countries:
        await tax.service.create_region(
            conn, CreateTaxRegion(country_code=country, provider_id="tp_system"), created_by
        )
