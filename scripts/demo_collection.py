# This file is part of Sales Ops.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Demo of P3.5 payment collection: orders confirmed one to four months ago
with the payment term "30% advance / 60% on delivery / 10% retention" get
their collection plan; finance posts the invoices and the bank statements
show what the customers paid, so that the plans hold collected, partly
collected, open and overdue stages.  A salesperson logs a promise of payment
on an overdue stage, another a promise already broken; a customer disputes
an invoice, which pauses its dunning; the policy's dunning procedure, run
every two weeks, brings one East China customer to "Suspension of New
Orders", whose new quotation waits for the sales manager's release."""
import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

TERM = "30% advance / 60% on delivery / 10% retention"
# type, ratio, days after the order, collection stage
TERM_LINES = [
    ('percent_on_total', Decimal('0.3'), 0, 'advance'),
    ('percent_on_total', Decimal('0.6'), 30, 'delivery'),
    ('remainder', None, 90, 'retention'),
    ]
# the service orders of each team, in the order of its salespeople, each for
# its own customer (the last ones of the region, away from the contracts of
# the East team): (salesperson, days since the order, payments, description)
# A payment is (days after the order, what): the stage's instalment
# ('advance', 'delivery', 'retention'), the whole invoice ('total') or a
# share of the total; an instalment paid exactly settles its line of the
# invoice, any other amount stays a partial payment of the invoice.
ORDERS = {
    'E': [
        (0, 100, [(0, 'advance'), (30, 'delivery'), (88, 'retention')],
            "Commissioning of the packing line"),
        # nothing paid: at the suspension level of the dunning
        (0, 105, [], "Maintenance of the stamping presses"),
        # the delivery instalment promised for next week
        (1, 75, [(0, 'advance')], "Installation of the paint shop conveyor"),
        (1, 60, [(0, 'advance'), (30, 'delivery')],
            "Operator training for the new CNC cell"),
        # half of the delivery instalment paid, the rest overdue
        (2, 45, [(1, 'advance'), (32, Decimal('0.3'))],
            "Commissioning of the compressor station"),
        # half of the retention paid on the first line's acceptance: the
        # retention partly collected before its due date
        (2, 70, [(0, 'advance'), (30, 'delivery'), (60, Decimal('0.05'))],
            "Annual maintenance of two assembly lines"),
        ],
    'N': [
        # the retention overdue: the customer waits for the acceptance
        (0, 120, [(5, 'advance'), (45, 'delivery')],
            "Installation of the boiler feed pumps"),
        (0, 50, [(0, 'advance')], "Training of the plant electricians"),
        (1, 90, [(0, 'total')], "Maintenance contract, paid upfront"),
        # disputed: the training day invoiced twice
        (1, 40, [], "Commissioning and training at the Tianjin plant"),
        # the payment promised for last week did not come
        (2, 80, [(0, 'advance')], "Retrofit of the hydraulic presses"),
        (2, 35, [(0, 'advance'), (30, 'delivery')],
            "Operator training for the bottling line"),
        ],
    'S': [
        (0, 95, [(0, 'advance'), (31, 'delivery')],
            "Maintenance of the injection moulding machines"),
        # a third of the delivery instalment paid early, the rest overdue
        (0, 70, [(3, 'advance'), (25, Decimal('0.2'))],
            "Installation of the cold store sensors"),
        (1, 110, [(0, 'advance'), (30, 'delivery'), (60, 'retention')],
            "Commissioning of the textile dyeing line"),
        (1, 32, [(0, 'advance')], "Training on the new PLC programs"),
        # nothing paid: escalated to the manager
        (2, 55, [], "Installation of the warehouse conveyors"),
        (2, 50, [(0, 'advance'), (30, 'delivery')],
            "Annual maintenance of the chiller plant"),
        ],
    }
# the order whose customer the dunning suspends, and the one disputed
SUSPENDED = ('E', 1)
DISPUTED = ('N', 3)
# the dunning runs, every two weeks, in days before today: each run moves
# an overdue line one level up
DUNNING_RUNS = [45, 30, 15, 0]
# how many runs went by before the customer disputed the invoice
DISPUTE_AFTER = 2


def load(ctx):
    "Orders, invoices, payments, follow-ups, a dispute and the dunning"
    as_user = ctx.as_user
    members = ctx.team_members

    try:
        term = _payment_term()
        _dunning_procedure(ctx)

        orders = []
        for code, rows in ORDERS.items():
            customers = [p for p, r in ctx.customers if r == code]
            for index, (member, days, payments, description) in enumerate(
                    rows):
                orders.append(_Order(
                        code, index, members[code][member],
                        customers[-1 - index], days, payments, description))
        by_key = {(o.code, o.index): o for o in orders}
        for login in sorted({o.login for o in orders}):
            as_user(login)
            _confirm(ctx, term, [o for o in orders if o.login == login])
        as_user()
        _collect_invoices(orders)
        as_user('finance')
        _post_invoices(orders)
        as_user()
        _pay(ctx, orders)
        as_user('finance')
        _refresh()

        for number, days in enumerate(DUNNING_RUNS):
            if number == DISPUTE_AFTER:
                # the customer answered the reminder with a dispute
                as_user('finance')
                _dispute(by_key[DISPUTED])
            # the dunning wizards are for the accounting administrators,
            # not for the Finance role
            as_user()
            _dunning(ctx.today - dt.timedelta(days=days))

        # promises of payment on overdue stages, by their salespeople
        _followup(ctx, as_user, by_key[('E', 2)], days_ago=2,
            promised_in=7, method='phone',
            content="Called the chief accountant about the delivery "
            "instalment of the conveyor installation.",
            delay_reason="The payment waits for the signature of the new "
            "general manager, appointed last month.",
            measure="Phone reminder; the dunning letter sent again by "
            "e-mail")
        _followup(ctx, as_user, by_key[('N', 4)], days_ago=12,
            promised_in=-5, method='visit',
            content="Visited the purchasing manager with the statement of "
            "account of the press retrofit.",
            delay_reason="Their own customer pays late; cash is short until "
            "the end of the month.",
            measure="Visit; a payment date agreed with the purchasing "
            "manager")

        # a new order of the suspended customer needs the manager's release
        suspended = by_key[SUSPENDED]
        as_user(suspended.login)
        _release_request(ctx, term, suspended)

        as_user('finance')
        _refresh()
    finally:
        as_user()


class _Order:
    "One demo order and what becomes of it"

    def __init__(self, code, index, login, customer, days, payments,
            description):
        self.code, self.index, self.login = code, index, login
        self.customer, self.days = customer, days
        self.payments, self.description = payments, description
        self.sale = self.invoice = None


def _refresh():
    "Read the collections of the plans from the ledger, as the daily task"
    from proteus import Model
    Plan = Model.get('sale.collection.plan')
    plans = Plan.find([('state', '!=', 'cancelled')])
    if plans:
        Plan.click(plans, 'refresh')


def _payment_term():
    "The policy's staged payment term, each line a stage of the plans"
    from proteus import Model
    PaymentTerm = Model.get('account.invoice.payment_term')
    term = PaymentTerm(name=TERM, description=(
            "30% advance with the order, 60% 30 days later on delivery, "
            "the 10% retention after 90 days, on acceptance."))
    for type_, ratio, days, stage in TERM_LINES:
        line = term.lines.new(type=type_)
        if ratio is not None:
            line.ratio = ratio
        if days:
            line.relativedeltas.new(days=days)
        line.collection_stage = stage
    term.save()
    return term


def _dunning_procedure(ctx):
    "The policy's procedure for every customer, and new ones by default"
    from proteus import Model
    Procedure = Model.get('account.dunning.procedure')
    Configuration = Model.get('account.configuration')
    Party = Model.get('party.party')
    # the procedure the module's data defines, the one that suspends
    procedure, = Procedure.find([('levels.suspend_orders', '=', True)])
    configuration = Configuration(1)
    configuration.default_dunning_procedure = procedure
    configuration.save()
    parties = [Party(p.id) for p, _ in ctx.customers]
    for party in parties:
        party.dunning_procedure = procedure
    Party.save(parties)
    return procedure


def _confirm(ctx, term, orders):
    "The salesperson's orders, quoted and confirmed on their dates"
    from proteus import Model
    Sale = Model.get('sale.sale')
    Party = Model.get('party.party')
    Product = Model.get('product.product')
    services = {p.template.name: p for p in ctx.products
        if p.template.type == 'service'}
    sales = []
    for order in orders:
        date = ctx.today - dt.timedelta(days=order.days)
        sale = Sale(party=Party(order.customer.id), payment_term=term,
            description=order.description)
        sale.quotation_date = sale.sale_date = date
        for name, quantity in _services(order):
            # set, not passed to new(): the product's taxes follow
            line = sale.lines.new()
            line.product = Product(services[name].id)
            line.quantity = quantity
        sales.append(sale)
    Sale.save(sales)
    Sale.click(sales, 'quote')
    Sale.click(sales, 'confirm')
    for order, sale in zip(orders, sales):
        order.sale = sale


def _services(order):
    "The services the description of the order names, with quantities"
    text = order.description.lower()
    lines = []
    if 'maintenance' in text:
        lines.append(("Annual Maintenance Contract",
                2 if ' two ' in text else 1))
    if any(w in text for w in ['installation', 'commissioning', 'retrofit']):
        lines.append(("Installation and Commissioning", 2 + order.days % 4))
    if 'training' in text:
        lines.append(("Operator Training Day", 2 + order.days % 3))
    return lines


def _collect_invoices(orders):
    "The invoices the processing of the orders created"
    from proteus import Model
    Sale = Model.get('sale.sale')
    for order in orders:
        sale = Sale(order.sale.id)
        order.invoice, = sale.invoices


def _post_invoices(orders):
    """Finance posts the invoices on the order dates (numbered in date
    order), accepting the warning of payment dates in the past"""
    from proteus import Model
    from proteus.config import get_config
    Invoice = Model.get('account.invoice')
    invoices = []
    for order in orders:
        invoice = Invoice(order.invoice.id)
        invoice.invoice_date = order.sale.sale_date
        invoices.append(invoice)
        order.invoice = invoice
    Invoice.save(invoices)
    config = get_config()
    skip_warning, config.skip_warning = config.skip_warning, True
    try:
        Invoice.click(invoices, 'post')
    finally:
        config.skip_warning = skip_warning


def _pay(ctx, orders):
    """The customers' payments through the monthly statements of the bank
    account, each line paying its invoice"""
    from proteus import Model
    AccountJournal = Model.get('account.journal')
    Invoice = Model.get('account.invoice')
    Party = Model.get('party.party')
    Statement = Model.get('account.statement')
    StatementJournal = Model.get('account.statement.journal')

    journal, = AccountJournal.find([('code', '=', 'STA')], limit=1)
    bank = StatementJournal(name="Bank of China, Pudong Branch",
        journal=journal, account=ctx.accounts['cash'], validation='balance')
    bank.save()
    # a transfer finance records from the invoice itself (its Pay button)
    cash, = AccountJournal.find([('type', '=', 'cash')], limit=1)
    Model.get('account.invoice.payment.method')(
        name="Bank transfer, Bank of China", company=ctx.company,
        journal=cash, credit_account=ctx.accounts['cash'],
        debit_account=ctx.accounts['cash']).save()

    payments = []
    for order in orders:
        invoice = Invoice(order.invoice.id)
        due = sorted(invoice.lines_to_pay,
            key=lambda l: (l.maturity_date, l.id))
        instalments = dict(zip(
                ['advance', 'delivery', 'retention'],
                [l.debit - l.credit for l in due]))
        instalments['total'] = invoice.total_amount
        for days, what in order.payments:
            if isinstance(what, Decimal):
                amount = (invoice.total_amount * what).quantize(
                    Decimal('0.01'))
            else:
                amount = instalments[what]
            date = order.sale.sale_date + dt.timedelta(days=days)
            if date > ctx.today:
                raise ValueError(f"{order.description}: paid on {date}")
            payments.append((date, order, amount))
    payments.sort(key=lambda p: (p[0], p[1].code, p[1].index))

    months = {}
    for payment in payments:
        months.setdefault(payment[0].replace(day=1), []).append(payment)
    statements = []
    balance = Decimal(0)
    for month, lines in sorted(months.items()):
        total = sum(a for _, _, a in lines)
        statement = Statement(
            name=f"{month:%Y-%m} Bank of China", journal=bank,
            date=max(d for d, _, _ in lines),
            start_balance=balance, end_balance=balance + total)
        for date, order, amount in lines:
            line = statement.lines.new()
            line.number = f'{month:%Y%m}-{len(statement.lines):03d}'
            line.date = date
            # the amount first: the statement keeps the invoice of a line
            # that pays it
            line.amount = amount
            line.party = Party(order.customer.id)
            line.related_to = Invoice(order.invoice.id)
            line.description = f"Payment {order.sale.number}"
        statements.append(statement)
        balance += total
    Statement.save(statements)
    Statement.click(statements, 'validate_statement')
    Statement.click(statements, 'post')


def _dispute(order):
    "The customer disputes the invoice: its dunning pauses"
    from proteus import Model
    Dispute = Model.get('account.invoice.dispute')
    Invoice = Model.get('account.invoice')
    dispute = Dispute(invoice=Invoice(order.invoice.id), reason=(
            "The customer says the training day was invoiced twice: once "
            "in this invoice and once in the commissioning days. They hold "
            "the advance until a credit note is issued."))
    dispute.save()


def _dunning(date):
    "The dunning run of the date: the next levels, then the letters"
    from proteus import Model, Wizard
    Dunning = Model.get('account.dunning')
    create = Wizard('account.dunning.create')
    create.form.date = date
    create.execute('create_')
    dunnings = Dunning.find([('state', '=', 'draft')])
    if dunnings:
        process = Wizard('account.dunning.process', dunnings)
        process.execute('process')


def _followup(ctx, as_user, order, days_ago, promised_in, method, content,
        delay_reason, measure):
    "A contact about the order's first overdue stage, by its salesperson"
    from proteus import Model
    as_user()
    Plan = Model.get('sale.collection.plan')
    plan, = Plan.find([('sale', '=', order.sale.id)])
    stage = next(s for s in plan.stages if s.state == 'overdue')
    as_user(order.login)
    FollowUp = Model.get('sale.followup')
    Stage = Model.get('sale.collection.stage')
    Party = Model.get('party.party')
    zone = ZoneInfo(ctx.company.timezone or 'UTC')
    day = ctx.today - dt.timedelta(days=days_ago)
    moment = dt.datetime.combine(day, dt.time(10, 30), tzinfo=zone)
    followup = FollowUp(party=Party(order.customer.id),
        collection_stage=Stage(stage.id), method=method,
        date=moment.astimezone(dt.timezone.utc).replace(tzinfo=None),
        content=content, delay_reason=delay_reason, measure=measure,
        promised_date=ctx.today + dt.timedelta(days=promised_in))
    followup.save()


def _release_request(ctx, term, order):
    """A new quotation of the suspended customer: it cannot be confirmed,
    its release waits for the sales manager"""
    from proteus import Model
    Sale = Model.get('sale.sale')
    Party = Model.get('party.party')
    Product = Model.get('product.product')
    services = [p for p in ctx.products if p.template.type == 'service']
    sale = Sale(party=Party(order.customer.id), payment_term=term,
        description="Spare training days for the night shift")
    line = sale.lines.new()
    line.product = Product(services[-1].id)
    line.quantity = 2
    sale.save()
    sale.click('quote')
    sale.click('request_release')
