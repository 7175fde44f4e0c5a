# This file is part of Sales Ops.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Demo of P5.3 KPI scorecards and P8 pay, honours and promotion, over the
last twelve months.  The sales manager weighs the shipped KPIs per role
(salesperson, supervisor, manager) and creates the KPI periods of the year
with the wizard: the twelve months up to this one and their quarters.  He
sets the department's and the teams' revenue targets of the first month and
the department's rates (collection 90 %, satisfaction 4/5, training 100 %);
the supervisors split their team's target among their salespeople.  Each
later month copies the month before with the season's growth (the Spring
Festival month lower), a supervisor moves part of a target from one
salesperson to another halfway, and the quarters triple their first month
with a target of new customers each.  Next month's targets are copied and
wait, not open yet.

Behind the figures, the salespeople's orders of the year to the customers
they own, each invoiced on its day and paid to the bank (China Merchants
Bank) on time, or late for some: the stars sell well above their target,
Yang Lei and He Qiang start below and improve, so that the scorecards fall
in every band.  Invoices are numbered per month where the months came
before an invoice already posted (Tryton numbers a sequence in date order),
and the fiscal year before this one is opened when the twelve months reach
into it.

The manager computed every period at once and closed the past months and
quarters: the top band is recognised, the bottom band has a coaching plan
with a goal per KPI short of target and a training need (the supervisors
closed the plans that ran out), the monthly stars and the quarterly
champions were proposed, the manager approved and published them on the
honour board with their citation, except last month's star, which waits for
his approval.  Before last month closed, Chen Jing objected to a figure and
her supervisor answered; this month stays open, with an open objection of
Wu Hao's.

The Sales Ops administrator keeps a compensation plan per role: base
salary, performance pay from a coefficient table (linear for the manager),
the champion, team breakthrough and collection bonuses and the collection
penalty; the sale configuration accrues the variable pay on "Sales Variable
Pay" through the MISC journal.  The manager prepares the pay run of each
closed month; as it pays him too, the sales director (login director, Song
Jian, a Sales Manager) approves it for the sales management, then finance:
the runs are posted with their accrual move, except the month before last,
waiting for finance, and last month's, a draft.

Liu Fang, Excellent in the last two quarters, was assessed by her
supervisor at the levels a supervisor needs; the monthly promotion task
proposed her, and the proposal waits for the manager's approval."""
import datetime as dt
import math
from decimal import Decimal

from demo_collection import (
    _collect_invoices, _confirm, _Order, _post_invoices, _refresh, _services)

# the months of the demo, this one included
MONTHS = 12
# the sales director: a Sales Manager above the manager, who approves the
# pay runs that pay the manager (nobody approves their own pay)
DIRECTOR = ('director', "Song Jian")
# the account of the variable pay, under the employee benefits heading
PAY_ACCOUNT = ('5.1.2.1', "Sales Variable Pay", '5.1.2')
PAY_JOURNAL = 'MISC'
# the KPI weights of each role (P5.3.1), by KPI code, adding up to 100
SCHEMES = {
    'salesperson': {
        'REV': 45, 'NEW': 10, 'CSAT': 15, 'COLL': 20, 'TRAIN-C': 10},
    'supervisor': {'REV': 50, 'NEW': 10, 'CSAT': 15, 'COLL': 25},
    'manager': {'REV': 60, 'CSAT': 15, 'COLL': 25},
    }
# the targets of the rates, for the whole department
RATES = {'COLL': 90, 'CSAT': 4, 'TRAIN-C': 100}
# the revenue target of each salesperson in the first month (CNY)
REVENUE = {
    'salesperson': 80000, 'liu.fang': 90000, 'chen.jing': 70000,
    'yang.lei': 60000,
    'huang.tao': 75000, 'zhou.yan': 85000, 'wu.hao': 70000, 'xu.li': 65000,
    'hu.bin': 95000, 'guo.xia': 75000, 'he.qiang': 60000, 'lin.mei': 70000,
    }
# the growth of the revenue targets over the month before, in %, by
# calendar month: the Spring Festival in February, the Golden Week in
# October
SEASON = {
    1: 0, 2: -20, 3: 25, 4: 5, 5: 0, 6: 5, 7: -5, 8: 0, 9: 5, 10: -5,
    11: 5, 12: 5}
# a supervisor moves target from one salesperson to another from a month
# on: (team, from member, to member, amount, month of the demo)
TRANSFER = ('E', 2, 1, Decimal(10000), 6)
# new customers expected of a salesperson per quarter: one per this many
# customers owned, at least one
NEW_PER_CUSTOMERS = 4
# the revenue of each salesperson: achievement of the target in the first
# month, change by the last one, random spread; and how their customers pay
PROFILES = {
    'salesperson': (0.98, 0, 0.06, 'prompt'),
    'liu.fang': (1.22, 0.06, 0.05, 'prompt'),
    'chen.jing': (1.04, 0, 0.08, 'prompt'),
    # below target until the negotiation workshop
    'yang.lei': (0.66, 0.3, 0.05, 'late'),
    'huang.tao': (1.05, 0, 0.07, 'prompt'),
    'zhou.yan': (1.12, 0.04, 0.06, 'prompt'),
    'wu.hao': (0.92, 0, 0.2, 'mixed'),
    'xu.li': (0.9, 0, 0.05, 'mixed'),
    'hu.bin': (1.25, 0, 0.06, 'prompt'),
    'guo.xia': (1.0, 0, 0.06, 'mixed'),
    'he.qiang': (0.62, 0.38, 0.05, 'late'),
    'lin.mei': (0.88, 0, 0.1, 'prompt'),
    }
# the share of the invoices paid by their due date, and the range of days
# the others are paid late
PAYERS = {
    'prompt': (0.95, 5, 15),
    'mixed': (0.75, 5, 25),
    'late': (0.45, 10, 40),
    }
PAYMENT_TERM = "Net 30 days"
# the size of an order the salespeople aim at; no smaller top-up than the
# minimum
ORDER_SIZE, MINIMUM_ORDER = 50000, 5000
# customers whose credit limit is below this take no history: the orders
# waiting for payment would exceed it
CREDIT_FLOOR = 150000
# the orders: their description names the services (and quantities) of
# the collection demo's orders
ORDERS = [
    "Annual maintenance of the {one}",
    "Annual maintenance of two {many}",
    "Installation of the {one}",
    "Operator training on the {one}",
    "Installation and operator training for the {one}",
    "Retrofit and annual maintenance of the {one}",
    "Commissioning, training and annual maintenance of the {one}",
    "Annual maintenance of two {many} with operator training",
    ]
ASSETS = [
    ("packing line", "packing lines"), ("stamping press", "stamping presses"),
    ("paint shop conveyor", "paint shop conveyors"),
    ("CNC cell", "CNC cells"), ("boiler feed pump", "boiler feed pumps"),
    ("bottling line", "bottling lines"),
    ("compressor station", "compressor stations"),
    ("cold store", "cold stores"),
    ("injection moulding machine", "injection moulding machines"),
    ("dyeing line", "dyeing lines"),
    ]
BANK = "China Merchants Bank, Shanghai Branch"

# the compensation plans (P8.1): name, role, base salary, target pay,
# coefficients (from score, coefficient) or None for the score ÷ 100 above
# the minimum score, champion bonus, breakthrough (threshold, bonus),
# collection bonus (from rate, bonus), collection penalty (under rate,
# penalty)
TABLE = [(0, 0), (60, '0.5'), (80, '0.8'), (100, 1), (110, '1.3')]
PLANS = [
    ("Salesperson", 'salesperson', 8000, 4000, TABLE, 3000, (105, 1000),
        (95, 500), (60, 300)),
    ("Sales Supervisor", 'supervisor', 14000, 6000, TABLE, None,
        (100, 2000), (95, 800), (60, 500)),
    ("Sales Manager", 'manager', 25000, 10000, 60, None, None, None, None),
    ]

# the objections: (login, KPI code, reason, the supervisor's answer or None
# for the open one); the answered one is of last month, before it closed
OBJECTIONS = [
    ('chen.jing', 'REV', "The commissioning order of the packing line was "
        "invoiced on the last day of the month but is missing from my "
        "revenue.",
        "The invoice was posted on the 3rd of the following month, dated "
        "that day: it counts for this month's revenue, not last month's."),
    ('wu.hao', 'COLL', "My customer paid the maintenance invoice on its due "
        "date; the bank booked it two days later.", None),
    ]
# the days into a month during which last month stays open for objections
OBJECTION_DAYS = 7
# the salesperson proposed for promotion: (team, member), and how many days
# ago the supervisor assessed her at the supervisor's levels
CANDIDATE = ('E', 1)
CANDIDATE_ASSESSED = 12
# the citations of the honours on the board
CITATION = ("For {revenue} invoiced in {period}, {achievement}% of the "
    "target: first of the sales department.")


def load(ctx):
    "Configuration, periods, targets, the year's orders, scores and rewards"
    as_user = ctx.as_user
    months = _months(ctx.today)

    try:
        as_user()
        director = _director(ctx)
        _accounting(ctx, months[0][0])
        owned = _owned(ctx)
        as_user('opsadmin')
        _plans(months[0][0])
        as_user(ctx.manager)
        kpis = _schemes(months[0][0])
        periods = _periods(ctx, months)
        _targets(ctx, as_user, kpis, periods, owned)
        _history(ctx, as_user, periods, owned)
        _scorecards(ctx, as_user, kpis, periods)
        _coaching(ctx, as_user)
        _pay(ctx, as_user, director, periods)
        _honours(ctx, as_user)
        _promotion(ctx, as_user)
    finally:
        as_user()


def _add_months(date, months):
    "The first day of the month months after date's"
    index = date.year * 12 + date.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _months(today):
    "[(first day, last day)] of the months of the demo, this one last"
    months = []
    for index in range(-MONTHS + 1, 1):
        start = _add_months(today, index)
        end = _add_months(start, 1) - dt.timedelta(days=1)
        months.append((start, end))
    return months


def _director(ctx):
    """The sales director above the manager, a Sales Manager user with the
    demo's password"""
    from proteus import Model

    from demo import PASSWORD
    Party = Model.get('party.party')
    Employee = Model.get('company.employee')
    User = Model.get('res.user')
    Group = Model.get('res.group')
    Company = Model.get('company.company')
    login, name = DIRECTOR
    manager = Employee(ctx.employees[ctx.manager].id)
    party = Party(name=name)
    party.save()
    director = Employee(party=party, company=Company(ctx.company.id),
        start_date=manager.start_date, sales_role='director')
    director.save()
    manager.supervisor = director
    manager.save()
    group, = Group.find([('name', '=', "Sales Manager")])
    user = User(login=login, name=name, password=PASSWORD,
        email=f'{login}@jaderiver.example.com')
    user.groups.append(group)
    user.companies.append(Company(ctx.company.id))
    user.company = Company(ctx.company.id)
    user.employees.append(Employee(director.id))
    user.employee = Employee(director.id)
    user.save()
    return login


def _accounting(ctx, start):
    """The fiscal years back to the first month, the invoice sequences the
    history needs, and the account and journal of the variable pay"""
    from proteus import Model
    from trytond.modules.account.tests.tools import create_fiscalyear
    from trytond.modules.account_invoice.tests.tools import (
        set_fiscalyear_invoice_sequences)
    Account = Model.get('account.account')
    Configuration = Model.get('sale.configuration')
    FiscalYear = Model.get('account.fiscalyear')
    Invoice = Model.get('account.invoice')
    Journal = Model.get('account.journal')
    SequenceStrict = Model.get('ir.sequence.strict')

    years = FiscalYear.find([('company', '=', ctx.company.id)],
        order=[('start_date', 'ASC')])
    while years[0].start_date > start:
        # the year before the first, as long as the company's years
        first = years[0].start_date
        fiscalyear = create_fiscalyear(ctx.company,
            today=first.replace(year=first.year - 1))
        fiscalyear.start_date = first.replace(year=first.year - 1)
        fiscalyear.end_date = first - dt.timedelta(days=1)
        set_fiscalyear_invoice_sequences(fiscalyear)
        fiscalyear.click('create_period')
        years.insert(0, fiscalyear)

    # Tryton refuses to number an invoice dated before the last one of its
    # sequence: the months before an invoice already posted take a
    # sequence of their own
    for fiscalyear in years:
        if fiscalyear.end_date < start or fiscalyear.start_date > ctx.today:
            continue
        posted = Invoice.find([
                ('company', '=', ctx.company.id),
                ('type', '=', 'out'),
                ('state', 'in', ['posted', 'paid']),
                ('invoice_date', '>=', max(start, fiscalyear.start_date)),
                ('invoice_date', '<=', fiscalyear.end_date),
                ], order=[('invoice_date', 'DESC')], limit=1)
        if not posted:
            continue
        latest = posted[0].invoice_date
        default, = [s for s in fiscalyear.invoice_sequences if not s.period]
        # the months' sequences come first
        default.sequence = 100
        for period in fiscalyear.periods:
            if (period.type != 'standard' or period.end_date < start
                    or period.start_date > latest):
                continue
            sequence = SequenceStrict(name=f"Customer Invoices {period.name}",
                sequence_type=default.out_invoice_sequence.sequence_type,
                company=ctx.company, prefix=f'{period.name}-', padding=3)
            sequence.save()
            fiscalyear.invoice_sequences.new(
                sequence=10, period=period,
                out_invoice_sequence=sequence,
                out_credit_note_sequence=sequence,
                in_invoice_sequence=default.in_invoice_sequence,
                in_credit_note_sequence=default.in_credit_note_sequence)
        fiscalyear.save()

    expense = ctx.accounts['expense']
    code, name, parent_code = PAY_ACCOUNT
    parents = Account.find([
            ('company', '=', ctx.company.id), ('code', '=', parent_code)],
        limit=1)
    account = Account(company=ctx.company, code=code, name=name,
        type=expense.type,
        parent=parents[0] if parents else expense.parent)
    account.save()
    configuration = Configuration(1)
    configuration.pay_journal, = Journal.find(
        [('code', '=', PAY_JOURNAL)], limit=1)
    configuration.pay_expense_account = account
    configuration.save()


def _plans(start):
    "The compensation plan of each role (P8.1)"
    from proteus import Model
    Plan = Model.get('sale.compensation.plan')
    plans = []
    for (name, role, base, target, coefficients, champion, breakthrough,
            bonus, penalty) in PLANS:
        plan = Plan(name=name, role=role, start_date=start,
            base_salary=Decimal(base), target_pay=Decimal(target),
            maximum_coefficient=Decimal('1.5'))
        if isinstance(coefficients, list):
            plan.coefficient_method = 'table'
            for score, coefficient in coefficients:
                plan.coefficients.new(minimum_score=Decimal(score),
                    coefficient=Decimal(coefficient))
        else:
            plan.coefficient_method = 'linear'
            plan.minimum_score = Decimal(coefficients)
        if champion:
            plan.champion_bonus = Decimal(champion)
        if breakthrough:
            plan.breakthrough_threshold, plan.breakthrough_bonus = map(
                Decimal, breakthrough)
        if bonus:
            plan.collection_bonus_rate, plan.collection_bonus = map(
                Decimal, bonus)
        if penalty:
            plan.collection_penalty_rate, plan.collection_penalty = map(
                Decimal, penalty)
        plans.append(plan)
    Plan.save(plans)


def _schemes(start):
    "The manager weighs the shipped KPIs for each role; returns the KPIs"
    from proteus import Model
    Kpi = Model.get('sale.kpi')
    Scheme = Model.get('sale.kpi.scheme')
    kpis = {k.code: k for k in Kpi.find([])}
    schemes = []
    for role, weights in SCHEMES.items():
        scheme = Scheme(role=role, start_date=start)
        for code, weight in weights.items():
            scheme.lines.new(kpi=Kpi(kpis[code].id), weight=Decimal(weight))
        schemes.append(scheme)
    Scheme.save(schemes)
    return kpis


class _Periods:
    "The KPI periods of the demo"

    def __init__(self, today, months, quarters, following):
        # the months in date order, this one last; the quarters begun in
        # the demo; next month's, if the wizard made it
        self.months, self.quarters = months, quarters
        self.following = following
        # the month left open with an objection: this one, or last month
        # while its objections are still being raised
        self.current = months[-1] if today.day > OBJECTION_DAYS \
            else months[-2]

    def closed(self):
        "The months and quarters ended before the current month"
        return [p for p in self.months + self.quarters
            if p.end_date < self.current.start_date]

    def computed(self):
        """The periods scored: the closed ones and the current month; the
        current quarter and a month just begun have too little to score"""
        return self.closed() + [self.current]


def _periods(ctx, months):
    """The manager creates the periods of the years with the wizard and
    removes those before the first month"""
    from proteus import Model, Wizard
    Period = Model.get('sale.kpi.period')
    start = months[0][0]
    for year in sorted({m.year for m, _ in months}):
        create = Wizard('sale.kpi.period.create')
        create.form.year = year
        create.execute('create_')
    Period.delete(Period.find([('start_date', '<', start)]))
    month_periods = Period.find([
            ('type', '=', 'month'), ('start_date', '<=', ctx.today)],
        order=[('start_date', 'ASC')])
    quarters = Period.find([
            ('type', '=', 'quarter'), ('start_date', '<=', ctx.today)],
        order=[('start_date', 'ASC')])
    following = Period.find([
            ('type', '=', 'month'), ('start_date', '>', ctx.today)],
        order=[('start_date', 'ASC')], limit=1)
    return _Periods(ctx.today, month_periods, quarters,
        following[0] if following else None)


def _targets(ctx, as_user, kpis, periods, owned):
    """The first month's targets cascaded from the department to the
    salespeople, copied month after month with the season's growth; the
    quarters triple their first month and count new customers"""
    from proteus import Model
    first = periods.months[0]
    totals = {code: sum(Decimal(REVENUE[login]) for login in members)
        for code, members in ctx.team_members.items()}

    Target = Model.get('sale.kpi.target')
    Kpi = Model.get('sale.kpi')
    Team = Model.get('sale.team')
    Employee = Model.get('company.employee')

    def target(period, code, scope, value, who=None):
        record = Target(period=period, kpi=Kpi(kpis[code].id), scope=scope)
        if scope == 'team':
            record.team = Team(ctx.teams[who].id)
        elif scope == 'employee':
            record.employee = Employee(ctx.employees[who].id)
        record.value = Decimal(value)
        return record

    def cascade(period, code, values):
        "The manager's department and team targets, the supervisors' split"
        as_user(ctx.manager)
        Target.save([target(period, code, 'company', sum(
                        sum(v.values()) for v in values.values()))]
            + [target(period, code, 'team', sum(v.values()), team)
                for team, v in values.items()])
        for team, by_login in values.items():
            as_user(ctx.supervisors[team])
            Target.save([target(period, code, 'employee', value, login)
                    for login, value in by_login.items()])

    as_user(ctx.manager)
    Target.save([target(first, code, 'company', value)
            for code, value in RATES.items()])
    cascade(first, 'REV', {team: {login: REVENUE[login] for login in members}
            for team, members in ctx.team_members.items()})

    team, giver, taker, amount, at = TRANSFER
    revenue = [sum(totals.values())]
    for index, period in enumerate(periods.months[1:], 1):
        as_user(ctx.manager)
        growth = SEASON[period.start_date.month]
        _copy(periods.months[index - 1], period, growth)
        revenue.append(revenue[-1] * (100 + growth) / 100)
        if index == at:
            # a key account changes hands: its target follows
            as_user(ctx.supervisors[team])
            Target = Model.get('sale.kpi.target')
            members = ctx.team_members[team]
            moved = {t.employee.id: t for t in Target.find([
                        ('period', '=', period.id),
                        ('kpi.code', '=', 'REV'),
                        ('scope', '=', 'employee'),
                        ])}
            source = moved[ctx.employees[members[giver]].id]
            destination = moved[ctx.employees[members[taker]].id]
            source.value -= amount
            destination.value += amount
            Target.save([source, destination])

    for quarter in periods.quarters:
        index = next(i for i, m in enumerate(periods.months)
            if m.start_date == quarter.start_date)
        as_user(ctx.manager)
        three = sum(revenue[index:index + 3])
        _copy(periods.months[index], quarter,
            (three / revenue[index] * 100 - 100).quantize(Decimal('0.01')))
        cascade(quarter, 'NEW', {team: {
                    login: max(1, len(owned[login]) // NEW_PER_CUSTOMERS)
                    for login in members}
                for team, members in ctx.team_members.items()})
    as_user(ctx.manager)
    if periods.following:
        # next month's targets, set before it opens
        _copy(periods.months[-1], periods.following,
            SEASON[periods.following.start_date.month])
    Period = Model.get('sale.kpi.period')
    Period.click([Period(p.id) for p in periods.months + periods.quarters],
        'open')


def _copy(source, period, growth):
    "Copy the targets of source to period with the growth in %"
    from proteus import Model, Wizard
    Period = Model.get('sale.kpi.period')
    copy = Wizard('sale.kpi.target.copy', [Period(period.id)])
    copy.form.from_period = Period(source.id)
    copy.form.growth = Decimal(growth)
    copy.execute('copy')


def _owned(ctx):
    """{login: [party]} of the customers each salesperson owns and may
    sell to: no suspended customer, none with a tight credit limit"""
    from proteus import Model
    Dunning = Model.get('account.dunning')
    Party = Model.get('party.party')
    suspended = {d.party.id for d in Dunning.find([
                ('level.suspend_orders', '=', True),
                ('state', 'in', ['waiting', 'final']),
                ('blocked', '=', False),
                ])}
    login_of = {ctx.employees[login].id: login
        for _, login in ctx.salespeople}
    owned = {login: [] for _, login in ctx.salespeople}
    for party in Party.find([
                ('id', 'in', [p.id for p, _ in ctx.customers]),
                ('owner', 'in', list(login_of)),
                ], order=[('id', 'ASC')]):
        if party.id in suspended or (party.credit_limit_amount is not None
                and party.credit_limit_amount < CREDIT_FLOOR):
            continue
        owned[login_of[party.owner.id]].append(party)
    return owned


def _history(ctx, as_user, periods, owned):
    """The year's orders of each salesperson to their customers, month by
    month: confirmed on their day, invoiced and paid to the bank"""
    from proteus import Model
    rng = ctx.rng
    as_user()
    Target = Model.get('sale.kpi.target')
    targets = {(t.period.id, t.employee.id): t.value for t in Target.find([
                ('period', 'in', [p.id for p in periods.months]),
                ('kpi.code', '=', 'REV'),
                ('scope', '=', 'employee'),
                ])}
    invoiced = _invoiced(ctx)
    prices = {p.template.name: p.template.list_price for p in ctx.products}
    term = ctx.payment_terms[PAYMENT_TERM]
    # the month each customer ordered first, spread over the year so that
    # each quarter brings new customers
    first_order = {}
    for login, parties in owned.items():
        for index, party in enumerate(parties):
            first_order[party.id] = index * MONTHS // len(parties)

    bank = _bank(ctx)
    orders, balance = [], Decimal(0)
    for index, period in enumerate(periods.months):
        start = period.start_date
        last = min(period.end_date, ctx.today)
        # the month so far
        elapsed = Decimal((last - start).days + 1) / (
            (period.end_date - start).days + 1)
        month = []
        for code, login in ctx.salespeople:
            employee = ctx.employees[login].id
            base, change, spread, payer = PROFILES[login]
            factor = (base + change * index / (MONTHS - 1)
                + rng.uniform(-spread, spread))
            wanted = (targets[(period.id, employee)]
                * Decimal(str(round(factor, 3))) * elapsed)
            needed = wanted - invoiced.get((employee, start), 0)
            month.extend(_orders(ctx, rng, code, login, owned[login],
                    first_order, index, start, last, needed, prices,
                    PAYERS[payer]))
        for login in sorted({o.login for o in month}):
            as_user(login)
            _confirm(ctx, term, [o for o in month if o.login == login])
        as_user()
        _collect_invoices(month)
        as_user('finance')
        _post_invoices(month)
        orders.extend(month)
        as_user()
        balance = _statement(ctx, bank, orders, start, last, balance)
    as_user('finance')
    _refresh()


def _invoiced(ctx):
    """{(employee id, first day of the month): untaxed amount} of the
    customer invoices already posted, by the salesperson of their order"""
    from proteus import Model
    InvoiceLine = Model.get('account.invoice.line')
    result = {}
    for line in InvoiceLine.find([
                ('invoice.company', '=', ctx.company.id),
                ('invoice.type', '=', 'out'),
                ('invoice.state', 'in', ['posted', 'paid']),
                ('type', '=', 'line'),
                ('origin', 'like', 'sale.line,%'),
                ]):
        employee = line.origin.sale.employee
        if employee:
            key = (employee.id, line.invoice.invoice_date.replace(day=1))
            result[key] = result.get(key, 0) + line.amount
    return result


def _orders(ctx, rng, code, login, parties, first_order, index, start,
        last, needed, prices, payer):
    """The salesperson's orders of the month adding up to about needed:
    the first order of the customers won this month, then the others"""
    new = [p for p in parties if first_order[p.id] == index]
    regular = [p for p in parties if first_order[p.id] < index]
    if needed < MINIMUM_ORDER and not new:
        return []
    count = max(len(new), math.ceil(needed / ORDER_SIZE))
    workdays = _weekdays(start, last)
    on_time, late_from, late_to = payer
    orders = []
    remaining = needed
    for number in range(count):
        date = rng.choice(workdays)
        age = (ctx.today - date).days
        customer = new[number] if number < len(new) else rng.choice(
            regular or new or parties)
        one, many = rng.choice(ASSETS)
        ideal = remaining / (count - number)
        best = None
        for template in ORDERS:
            description = template.format(one=one, many=many)
            order = _Order(code, len(orders), login, customer, age, [],
                description)
            amount = sum(prices[name] * quantity
                for name, quantity in _services(order))
            if best is None or abs(amount - ideal) < abs(best[0] - ideal):
                best = (amount, order)
        amount, order = best
        remaining -= amount
        # paid by the due date, or late; none after today
        due = 30
        if rng.random() < on_time:
            paid = due - rng.randint(0, 6)
        else:
            paid = due + rng.randint(late_from, late_to)
        if paid <= age:
            order.payments = [(paid, 'total')]
        orders.append(order)
    return orders


def _bank(ctx):
    "The bank account the customers of the history pay to"
    from proteus import Model
    AccountJournal = Model.get('account.journal')
    StatementJournal = Model.get('account.statement.journal')
    journal, = AccountJournal.find([('code', '=', 'STA')], limit=1)
    bank = StatementJournal(name=BANK, journal=journal,
        account=ctx.accounts['cash'], validation='balance')
    bank.save()
    return bank


def _statement(ctx, bank, orders, start, end, balance):
    """The bank statement of the month: the payments of the orders dated
    in it, each line paying its invoice; returns the end balance"""
    from proteus import Model
    Invoice = Model.get('account.invoice')
    Party = Model.get('party.party')
    Statement = Model.get('account.statement')
    Line = Model.get('account.statement.line')
    payments = []
    for order in orders:
        for days, _ in order.payments:
            date = order.sale.sale_date + dt.timedelta(days=days)
            if start <= date <= end:
                payments.append((date, order))
    if not payments:
        return balance
    payments.sort(key=lambda p: (p[0], p[1].sale.id))
    total = sum(o.invoice.total_amount for _, o in payments)
    statement = Statement(name=f"{start:%Y-%m} {BANK.split(',')[0]}",
        journal=bank, date=payments[-1][0],
        start_balance=balance, end_balance=balance + total)
    statement.save()
    # the lines on their own: added to the statement's list, each change
    # recomputes every line of the statement
    lines = []
    for number, (date, order) in enumerate(payments, 1):
        line = Line(statement=statement)
        line.number = f'{start:%Y%m}-{number:03d}'
        line.date = date
        # the amount first: the statement keeps the invoice of a line that
        # pays it
        line.amount = order.invoice.total_amount
        line.party = Party(order.customer.id)
        line.related_to = Invoice(order.invoice.id)
        line.description = f"Payment {order.sale.number}"
        lines.append(line)
    Line.save(lines)
    statement.click('validate_statement')
    statement.click('post')
    return balance + total


def _scorecards(ctx, as_user, kpis, periods):
    """The manager computes every period at once; an objection is answered
    before last month closes, the past months and quarters close, one
    objection stays open this month"""
    from proteus import Model
    as_user(ctx.manager)
    Period = Model.get('sale.kpi.period')
    Period.click([Period(p.id) for p in periods.computed()], 'compute')
    answered, waiting = OBJECTIONS
    closed = [p for p in periods.closed() if p.type == 'month']
    _objection(ctx, as_user, closed[-1], *answered)
    as_user(ctx.manager)
    Period = Model.get('sale.kpi.period')
    Period.click([Period(p.id) for p in periods.closed()], 'close')
    _objection(ctx, as_user, periods.current, *waiting)


def _objection(ctx, as_user, period, login, code, reason, answer):
    "The salesperson objects to a figure, the supervisor answers"
    from proteus import Model
    as_user(login)
    Objection = Model.get('sale.kpi.objection')
    Scorecard = Model.get('sale.kpi.scorecard')
    scorecard, = Scorecard.find([
            ('period', '=', period.id),
            ('scope', '=', 'employee'),
            ('employee', '=', ctx.employees[login].id),
            ])
    line, = [l for l in scorecard.lines if l.kpi.code == code]
    objection = Objection(scorecard=scorecard, line=line, reason=reason)
    objection.save()
    if answer:
        team = next(c for c, l in ctx.salespeople if l == login)
        as_user(ctx.supervisors[team])
        objection = Objection(objection.id)
        objection.answer = answer
        objection.save()
        objection.click('reject')


def _coaching(ctx, as_user):
    """The coaches close the plans that ran out, marking the goals
    reached"""
    from proteus import Model
    as_user()
    Coaching = Model.get('sale.kpi.coaching')
    by_coach = {}
    for plan in Coaching.find([
                ('state', '=', 'open'), ('end_date', '<', ctx.today),
                ('coach', '!=', None)]):
        by_coach.setdefault(plan.coach.id, []).append(plan.id)
    login_of = {e.id: login for login, e in ctx.employees.items()}
    for coach, ids in sorted(by_coach.items()):
        as_user(login_of[coach])
        Coaching = Model.get('sale.kpi.coaching')
        plans = [Coaching(i) for i in ids]
        for plan in plans:
            for goal in plan.goals:
                goal.achieved = ctx.rng.random() < 0.7
        Coaching.save(plans)
        Coaching.click(plans, 'do')


def _pay(ctx, as_user, director, periods):
    """The manager prepares the pay run of each closed month; the director,
    then finance approve them, except the two latest"""
    from proteus import Model
    as_user(ctx.manager)
    Run = Model.get('sale.pay.run')
    Period = Model.get('sale.kpi.period')
    months = [p for p in periods.closed() if p.type == 'month']
    runs = []
    for period in months:
        run = Run()
        run.period = Period(period.id)
        runs.append(run)
    Run.save(runs)
    Run.click(runs, 'compute')
    # last month's run is a draft
    Run.click(runs[:-1], 'submit')
    for login, step, approved in [
            (director, 10, runs[:-1]),
            # finance has yet to approve the month before last
            ('finance', 20, runs[:-2]),
            ]:
        as_user(login)
        Run = Model.get('sale.pay.run')
        Request = Model.get('approval.request')
        requests = [Request(r.id) for run in approved
            for r in Run(run.id).approvals
            if r.sequence == step and r.state == 'waiting']
        Request.click(requests, 'approve')


def _honours(ctx, as_user):
    """The manager approves the honours proposed at the closings and
    publishes them with their citation; last month's star waits"""
    from proteus import Model
    as_user(ctx.manager)
    Honour = Model.get('sale.honour')
    Request = Model.get('approval.request')
    honours = Honour.find([('state', '=', 'submitted')],
        order=[('period.end_date', 'ASC'), ('type.sequence', 'ASC')])
    if not honours:
        return
    decided = honours[:-1]
    Request.click([Request(r.id) for h in decided for r in h.approvals
            if r.state == 'waiting'], 'approve')
    decided = [Honour(h.id) for h in decided]
    for honour in decided:
        honour.citation = CITATION.format(
            revenue=f"¥{honour.figure:,.2f}", period=honour.period.name,
            achievement=honour.achievement)
    Honour.save(decided)
    Honour.click(decided, 'publish')


def _promotion(ctx, as_user):
    """The candidate's supervisor assesses her at the levels of a
    supervisor; the monthly task proposes her to the manager"""
    from proteus import Model
    team, member = CANDIDATE
    login = ctx.team_members[team][member]
    as_user(ctx.supervisors[team])
    Assessment = Model.get('sale.competency.assessment')
    Competency = Model.get('sale.competency')
    Employee = Model.get('company.employee')
    Requirement = Model.get('sale.competency.requirement')
    employee = Employee(ctx.employees[login].id)
    date = ctx.today - dt.timedelta(days=CANDIDATE_ASSESSED)
    Assessment.save([Assessment(employee=employee,
                competency=Competency(r.competency.id), level=r.level,
                date=date,
                comment="Ready for the supervisor's step: leads the "
                "Hangzhou key accounts and coaches the team's newer "
                "salespeople.")
            for r in Requirement.find([('role', '=', 'supervisor')])])
    as_user()
    Cron = Model.get('ir.cron')
    cron, = Cron.find([('method', '=', 'sale.promotion.proposal|propose')])
    cron.click('run_once')


def _weekdays(start, end):
    "The working days from start to end, or every day if none"
    days = [start + dt.timedelta(days=n)
        for n in range((end - start).days + 1)]
    return [d for d in days if d.weekday() < 5] or days
