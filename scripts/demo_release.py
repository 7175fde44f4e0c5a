# This file is part of Sales Ops.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Demo of P3.4 order execution: quoted orders of goods get a promised
delivery date, a quality standard and special requirements and are
confirmed; production notes follow some of them; one order per team is late
or at risk, some are on time and one is delivered, so that the "Late or
At-Risk Orders" list shows each case to the salesperson, the supervisor and
the manager."""
import datetime as dt
from decimal import Decimal

QUALITY = [
    "GB/T 19001 (ISO 9001); factory acceptance test witnessed by the "
    "customer",
    "CE marked; pressure tested at 1.5 times the rated pressure",
    "IP65 enclosure; calibration certificate with each unit",
    "Customer drawing rev. C; material certificates EN 10204 3.1",
    ]
REQUIREMENTS = [
    "Export wooden crates with fumigation certificate; deliver to gate 3 "
    "between 8:00 and 16:00.",
    "Call the plant manager 24 hours before delivery; forklift on site.",
    "Label each carton with the customer's part number and PO line.",
    "Deliver in one lot; the installation team arrives the next day.",
    ]
NOTES = [
    "Motor castings arrived two days late; assembly rescheduled, test bench "
    "booked for Thursday.",
    "Waiting for the customer's approval of the wiring diagram; sales is "
    "chasing their engineer.",
    "Production on plan; final inspection with the customer's QA next week.",
    ]
# the delivery status each team shows, in the order of its salespeople:
# (status, days from today to the promise)
PLAN = {
    'E': [('late', -5), ('at_risk', 2), ('delivered', 6), ('on_time', 25)],
    'N': [('late', -3), ('at_risk', 1), ('on_time', 30)],
    'S': [('at_risk', 3), ('delivered', 10), ('on_time', 20)],
    }


def load(ctx):
    "Confirm and ship demo orders so that each delivery status shows"
    from proteus import Model
    Sale = Model.get('sale.sale')
    Configuration = Model.get('sale.configuration')

    # an order over the contract threshold needs a signed contract (P3.3);
    # keep to the smaller orders
    threshold = getattr(Configuration(1), 'contract_threshold', None)
    team_of = {ctx.employees[login].id: code
        for code, login in ctx.salespeople}
    candidates = {code: [] for code in PLAN}
    for sale in [Sale(s.id) for s in ctx.sales]:
        code = team_of.get(sale.employee.id if sale.employee else None)
        if (code in candidates and sale.state == 'quotation'
                and _has_goods(sale)
                and (threshold is None or sale.total_amount < threshold)):
            candidates[code].append(sale)

    planned = []
    for code, steps in PLAN.items():
        sales = candidates[code]
        for (status, days), sale in zip(steps, sales):
            planned.append((status, days, sale))
    # each status shows at least once, whatever the random orders
    for status, days in [('late', -5), ('at_risk', 2), ('delivered', 6)]:
        if not any(p[0] == status for p in planned):
            planned.append((status, days, _new_order(ctx)))

    for index, (status, days, sale) in enumerate(planned):
        promise = ctx.today + dt.timedelta(days=days)
        if promise < ctx.today:
            # quoted and signed weeks ago for a date now past
            sale.quotation_date = sale.sale_date = (
                promise - dt.timedelta(days=20))
        sale.shipping_date = promise
        sale.quality_standard = QUALITY[index % len(QUALITY)]
        sale.special_requirements = REQUIREMENTS[index % len(REQUIREMENTS)]
    sales = [s for _, _, s in planned]
    Sale.save(sales)
    Sale.click(sales, 'confirm')

    for index, (status, _, sale) in enumerate(planned):
        if status in {'late', 'at_risk'} or index % 3 == 0:
            sale = Sale(sale.id)
            sale.production_notes = NOTES[index % len(NOTES)]
            sale.save()

    delivered = [Sale(s.id) for status, _, s in planned
        if status == 'delivered']
    _stock(ctx, delivered)
    for sale in delivered:
        for shipment in sale.shipments:
            shipment.click('assign_try')
            shipment.click('pick')
            shipment.click('pack')
            shipment.click('do')


def _has_goods(sale):
    return any(l.product and l.product.type in {'goods', 'assets'}
        for l in sale.lines)


def _new_order(ctx):
    "A small quoted order of goods for the first East China salesperson"
    from proteus import Model
    Sale = Model.get('sale.sale')
    code, login = next((c, l) for c, l in ctx.salespeople if c == 'E')
    customer = next(p for p, region in ctx.customers if region == code)
    product = min(
        (p for p in ctx.products if p.template.type == 'goods'),
        key=lambda p: p.template.list_price or Decimal(0))
    sale = Sale(party=customer, employee=ctx.employees[login],
        description="Spare sensors")
    line = sale.lines.new()
    line.product = product
    line.quantity = 2
    sale.save()
    sale.click('quote')
    return sale


def _stock(ctx, sales):
    "Put the goods of the orders in stock so that they can be shipped"
    from proteus import Model
    Inventory = Model.get('stock.inventory')
    Location = Model.get('stock.location')
    storage, = Location.find([('code', '=', 'STO')])
    quantities = {}
    for sale in sales:
        for line in sale.lines:
            if line.product and line.product.type == 'goods':
                quantities[line.product.id] = (
                    quantities.get(line.product.id, 0) + line.quantity)
    if not quantities:
        return
    inventory = Inventory(location=storage, date=ctx.today)
    for product, quantity in quantities.items():
        line = inventory.lines.new(product=product)
        # a margin on top of the orders, as a warehouse holds
        line.quantity = quantity + 10
    inventory.click('confirm')
