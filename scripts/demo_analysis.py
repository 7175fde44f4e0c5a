# This file is part of Sales Ops.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Demo of P5.2 sales data analysis.  The administrator files the products
in four product lines (hydraulics, motion control, automation, services),
the lines the analyses and the market sizes group by.  The sales manager
entered the size of the market of the last three quarters for the main
regions, industries and product lines, each from its source: the markets
grow by a few percent a quarter, fastest in Guangdong and in the packaging
industry, where a competitor with lower prices takes the growth.  The
orders, invoices, opportunities and expenses of the other parts give the
achievement, purchase behaviour and channel analyses their figures.  The
daily task then finds the sales alerts of today: the salespeople and teams
whose revenue fell last month, the customers drifting away, the channels
converting less and the segments losing share; the supervisor of East China
closed one of them with the action taken."""
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
# product line, our average share in %, the growth of the market per
# quarter in %, source)
SEGMENTS = [
    ('region', 'CN-SH', 11, 1, "Shanghai Industrial Automation "
        "Association, quarterly survey"),
    ('region', 'CN-JS', 7.5, 2, "Jiangsu Provincial Bureau of "
        "Statistics, equipment investment"),
    ('region', 'CN-ZJ', 6, 2, "Zhejiang Machinery Industry Federation"),
    ('region', 'CN-GD', 9, 9, "Guangdong Automation Society; a "
        "competitor opened a Shenzhen service centre"),
    ('region', 'CN-BJ', 8, 1, "Beijing Municipal Commission of "
        "Economy and Information Technology"),
    ('industry', "Machinery", 4.5, 2, "China Machinery Industry "
        "Federation, quarterly report"),
    ('industry', "Packaging", 6.5, 8, "China Packaging Federation; "
        "price cuts of a competitor's packing-line service"),
    ('industry', "Food Processing", 3.8, 3, "China National Food "
        "Industry Association"),
    ('product_line', "Services", 12, 2, "MIR Databank, industrial "
        "services in East, North and South China"),
    ('product_line', "Hydraulics", 2.5, 1, "China Hydraulics "
        "Pneumatics & Seals Association"),
    ]


# the thresholds the sales manager chose: a half point of share lost in a
# quarter is already worth a look in these markets
ALERT_SHARE_LOSS = Decimal('0.5')


def load(ctx):
    "The product lines, the manager's market sizes, then today's alerts"
    as_user = ctx.as_user
    try:
        as_user()
        lines = _product_lines(ctx)
        as_user(ctx.manager)
        _market_sizes(ctx, lines)
        as_user()
        _alerts(ctx)
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
    """The manager enters the market size of each segment and quarter: the
    average of our revenue there over the share, grown each quarter"""
    from proteus import Model
    Size = Model.get('sale.market.size')
    Subdivision = Model.get('country.subdivision')
    Category = Model.get('product.category')
    regions = {s.code: s for s in Subdivision.find([])}
    entries = []
    for index, (start, end) in enumerate(_quarters(ctx.today)):
        for segment in SEGMENTS:
            type_, name, _, _, source = segment
            entry = Size(segment_type=type_, start_date=start, end_date=end,
                source=source)
            if type_ == 'region':
                entry.subdivision = regions[name]
            elif type_ == 'industry':
                entry.industry = name
            else:
                entry.product_category = Category(lines[name].id)
            # sized once our revenue there is known
            entry.amount = Decimal(1)
            entries.append((entry, segment, index))
    Size.save([e for e, _, _ in entries])
    revenues = {}
    for entry, segment, _ in entries:
        revenues.setdefault(segment, []).append(Size(entry.id).revenue or 0)
    sized, empty = [], []
    for entry, segment, index in entries:
        _, _, share, growth, _ = segment
        average = sum(revenues[segment]) / len(revenues[segment])
        if not average:
            empty.append(entry)
            continue
        amount = (average * 100 / Decimal(str(share))
            * (1 + Decimal(growth) / 100) ** (index - 1))
        # rounded as a survey gives it, to ten thousand
        entry.amount = (amount / 10000).quantize(Decimal(1)) * 10000
        sized.append(entry)
    Size.save(sized)
    if empty:
        Size.delete(empty)


def _alerts(ctx):
    """The daily task finds today's alerts; the supervisor of East China
    closes the first of his team's with what was done"""
    from demo_customer import _run_cron
    from proteus import Model
    Configuration = Model.get('sale.configuration')
    Alert = Model.get('sale.analysis.alert')
    config = Configuration(1)
    config.alert_share_loss = ALERT_SHARE_LOSS
    config.save()
    _run_cron('sale.analysis.alert|detect')
    ctx.as_user(ctx.supervisors['E'])
    alerts = Alert.find([('state', '=', 'open'), ('employee', '!=', None)])
    if alerts:
        alert = alerts[0]
        alert.action = ("Went through the month's pipeline with the "
            "salesperson: two orders slipped to this month; weekly review "
            "until the gap is closed.")
        alert.save()
        alert.click('close')
