# This file is part of Sales Ops.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Demo of P3.1.1: three competitors and two market notes per salesperson,
each recorded by the salesperson under their own login"""
import datetime as dt
import random

# name, city, what they sell against us (index in demo.PRODUCTS)
COMPETITORS = [
    ("Huaxin Automation Equipment Co., Ltd.", "Suzhou", 1),
    ("Dongfang Fluid Power Co., Ltd.", "Tianjin", 0),
    ("Nordtech Industrial Systems (Shanghai) Co., Ltd.", "Shanghai", 2),
    ]

# kind, summary, details, source; filled with the customer ({customer},
# {city}, {industry}, {contact}), the product ({product}) and the competitor
# ({competitor}) of the note
COMPETITOR_NOTES = [
    ('competitor_move',
        "{competitor} cuts {product} prices by 8%",
        "The buyer at {customer} showed us a new quotation from "
        "{competitor}: 8% below our list price on {product}, with free "
        "delivery from 10 units. They want our answer before their next "
        "tender.",
        "Visit to the purchasing department of {customer}"),
    ('competitor_move',
        "{competitor} offers a 3-year warranty on {product}",
        "{competitor} now sells {product} with a 3-year warranty instead "
        "of 1 year, at the same price. {contact} at {customer} asked "
        "whether we can match it in the maintenance contract.",
        "Phone call with {contact}"),
    ('competitor_move',
        "{competitor} opens a service centre in {city}",
        "{competitor} opened a service centre in {city} with four field "
        "engineers and promises on-site response within 24 hours. "
        "{customer} mentioned it while we discussed their {product}.",
        "Customer visit in {city}"),
    ('price_change',
        "Cast housing costs up 6%; {competitor} raises {product} prices",
        "Foundries announced a 6% increase on cast housings from next "
        "month. {competitor} has already raised its {product} price by "
        "4%, which narrows the gap with our list price at {customer}.",
        "Supplier letter; purchasing team of {customer}"),
    ]
MARKET_NOTES = [
    ('industry_trend',
        "{industry} plants in {city} automating end-of-line packing",
        "Three {industry_lower} plants around {city}, {customer} among "
        "them, plan to automate end-of-line packing within 18 months "
        "because of labour costs. Demand for {product} should rise in "
        "the region.",
        "{industry} association meeting in {city}"),
    ('industry_trend',
        "{industry} customers ask for remote monitoring",
        "Since the new provincial energy rules, {industry_lower} customers "
        "want sensors and remote monitoring on every line. {customer} "
        "asked for a demo of {product} with data export.",
        "Industry trade show"),
    ('need_change',
        "{customer} now requires energy-efficiency data in bids",
        "From next quarter {customer} only accepts bids with IE4 "
        "efficiency certificates and power consumption figures. Our "
        "{product} datasheet needs these numbers.",
        "Meeting with {contact}"),
    ('need_change',
        "{customer} wants spare parts within 48 hours",
        "After a six-hour line stoppage {customer} asks for spare parts "
        "of their {product} within 48 hours and considers a consignment "
        "stock on site. They would sign a longer maintenance contract for "
        "it.",
        "Phone call with {contact}"),
    ]


def load(ctx):
    "Competitors flagged on their party; two notes for each salesperson"
    from proteus import Model

    from trytond.tests.tools import set_user

    rng = random.Random(311)
    config = ctx.config
    Party = Model.get('party.party')
    User = Model.get('res.user')

    competitors = []
    for name, city, product in COMPETITORS:
        party = Party(name=name, competitor=True)
        party.addresses[0].city = city
        competitors.append((party, ctx.products[product]))
    Party.save([p for p, _ in competitors])

    goods = [p for p in ctx.products if p.template.type == 'goods']
    users = {u.login: u for u in User.find([
                ('login', 'in', [l for _, l in ctx.salespeople]),
                ])}
    admin, context = config.user, config._context
    try:
        # each team gets every kind of note once
        for index, (code, login) in enumerate(ctx.salespeople):
            customers = [p for p, r in ctx.customers if r == code]
            set_user(users[login], config=config)
            Intelligence = Model.get('sale.market.intelligence')
            notes = [
                _note(Intelligence,
                    COMPETITOR_NOTES[index % len(COMPETITOR_NOTES)],
                    rng.choice(customers), *rng.choice(competitors),
                    ctx.today - dt.timedelta(days=rng.randint(1, 60))),
                _note(Intelligence, MARKET_NOTES[index % len(MARKET_NOTES)],
                    rng.choice(customers), None, rng.choice(goods),
                    ctx.today - dt.timedelta(days=rng.randint(1, 60))),
                ]
            Intelligence.save(notes)
    finally:
        config.user, config._context = admin, context


def _note(Intelligence, template, customer, competitor, product, date):
    from demo import INDUSTRIES
    from proteus import Model
    Party = Model.get('party.party')
    Product = Model.get('product.product')
    kind, summary, details, source = template
    short = customer.name.split(' Co.')[0]
    industry = next(
        (w for w in INDUSTRIES if short.endswith(w)), "Manufacturing")
    values = {
        'customer': short,
        'city': customer.addresses[0].city,
        'industry': industry,
        'industry_lower': industry.lower(),
        'contact': customer.contact_mechanisms[0].name,
        'product': product.template.name,
        'competitor': (competitor.name.split(' Co.')[0].split(' (')[0]
            if competitor else ''),
        }
    note = Intelligence(kind=kind, date=date,
        summary=summary.format(**values),
        details=details.format(**values),
        source=source.format(**values))
    note.customers.append(Party(customer.id))
    note.products.append(Product(product.id))
    if competitor:
        note.competitors.append(Party(competitor.id))
    return note
