# This file is part of Sales Ops.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Demo of P5.2 sales data analysis.  The administrator files the products
in four product lines (hydraulics, motion control, automation, services),
the lines the analyses and the market sizes group by.  The sales manager
entered the size of the market of the last three quarters for the main
regions, industries and product lines, each from its source: our share
grows in most segments, but falls in Guangdong and in the packaging
industry, where a competitor cut prices.  The orders, invoices,
opportunities and expenses of the other parts give the achievement,
purchase behaviour and channel analyses their figures."""
import datetime as dt
from decimal import Decimal

# the product lines: name, the products in it
PRODUCT_LINES = [
    ("Hydraulics", ["Hydraulic Pump HP-200"]),
    ("Motion Control", ["Servo Motor SM-750", "Conveyor Belt Module 2m"]),
    ("Automation", ["PLC Controller C-16", "Industrial Sensor Kit"]),
    ("Services", [
            "Installation and Commissioning", "Annual Maintenance Contract",
            "Operator Training Day"]),
    ]
# the quarters before this one with a market size
QUARTERS = 3
# the segments sized: (type, the region's code, the industry or the
# product line, our share of the first quarter in %, its change per
# quarter in points, source)
SEGMENTS = [
    ('region', 'CN-SH', 11, 0.6, "Shanghai Industrial Automation "
        "Association, quarterly survey"),
    ('region', 'CN-JS', 7.5, 0.4, "Jiangsu Provincial Bureau of "
        "Statistics, equipment investment"),
    ('region', 'CN-ZJ', 6, 0.5, "Zhejiang Machinery Industry Federation"),
    ('region', 'CN-GD', 9, -1.2, "Guangdong Automation Society; a "
        "competitor opened a Shenzhen service centre"),
    ('region', 'CN-BJ', 8, 0.2, "Beijing Municipal Commission of "
        "Economy and Information Technology"),
    ('industry', "Machinery", 4.5, 0.3, "China Machinery Industry "
        "Federation, quarterly report"),
    ('industry', "Packaging", 6.5, -0.9, "China Packaging Federation; "
        "price cuts of a competitor's packing-line service"),
    ('industry', "Food Processing", 3.8, 0.4, "China National Food "
        "Industry Association"),
    ('product_line', "Services", 12, 0.7, "MIR Databank, industrial "
        "services in East, North and South China"),
    ('product_line', "Hydraulics", 2.5, 0.1, "China Hydraulics "
        "Pneumatics & Seals Association"),
    ]


def load(ctx):
    "The product lines, then the manager's market sizes"
    as_user = ctx.as_user
    try:
        as_user()
        lines = _product_lines(ctx)
        as_user(ctx.manager)
        _market_sizes(ctx, lines)
    finally:
        as_user()


def _product_lines(ctx):
    "File the products in their product lines; {name: category}"
    from proteus import Model
    Category = Model.get('product.category')
    Template = Model.get('product.template')
    templates = {t.name: t for t in Template.find([])}
    categories = {}
    changed = []
    for name, products in PRODUCT_LINES:
        category = Category(name=name)
        category.save()
        categories[name] = category
        for product in products:
            template = templates[product]
            template.categories.append(Category(category.id))
            changed.append(template)
    Template.save(changed)
    return categories


def _quarters(today):
    "[(first day, last day)] of the QUARTERS quarters before today's"
    first = dt.date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
    quarters = []
    for _ in range(QUARTERS):
        end = first - dt.timedelta(days=1)
        first = dt.date(end.year, (end.month - 1) // 3 * 3 + 1, 1)
        quarters.insert(0, (first, end))
    return quarters


def _market_sizes(ctx, lines):
    """The manager enters the market size of each segment and quarter so
    that our revenue there makes the share of the segment's trend"""
    from proteus import Model
    Size = Model.get('sale.market.size')
    Subdivision = Model.get('country.subdivision')
    Category = Model.get('product.category')
    regions = {s.code: s for s in Subdivision.find([])}
    entries = []
    for index, (start, end) in enumerate(_quarters(ctx.today)):
        for type_, segment, share, change, source in SEGMENTS:
            entry = Size(segment_type=type_, start_date=start, end_date=end,
                source=source)
            if type_ == 'region':
                entry.subdivision = regions[segment]
            elif type_ == 'industry':
                entry.industry = segment
            else:
                entry.product_category = Category(lines[segment].id)
            # sized once our revenue there is known
            entry.amount = Decimal(1)
            entries.append((entry, share + change * index))
    Size.save([e for e, _ in entries])
    sized, empty = [], []
    for entry, share in entries:
        entry = Size(entry.id)
        if not entry.revenue:
            empty.append(entry)
            continue
        # rounded as a survey gives it, to ten thousand
        entry.amount = (entry.revenue * 100 / Decimal(str(share))
            / 10000).quantize(Decimal(1)) * 10000
        sized.append(entry)
    Size.save(sized)
    if empty:
        Size.delete(empty)
