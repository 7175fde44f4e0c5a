# This file is part of Sales Ops.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Demo of P6 sales expenses.  The accounts of the selling expenses, the
expense journal and the payment journal "Expense Reimbursements" (manual,
cleared on the cash account through the CASH journal) are set in the sale
configuration; the Sales Ops administrator keeps the expense categories and
their spending standards.  Each supervisor prepares the team's budget of the
fiscal year by month, the East supervisor the department's budget of
marketing and training by quarter; the sales manager approves them.  The
salespeople claim the expenses of the last two months: claims stand in every
state, from draft, waiting for the supervisor or for finance, approved,
posted, to paid through a payment whose clearing reconciles the claimant's
payable, and cancelled.  Hotels above the standard carry their
justification, the entertainments their guests, and the lines name the
customers and opportunities they served: three opportunities were won after
a dinner, so that the Return on Expense shows spending beside revenue per
channel.  A trade fair beyond the South team's travel budget consumed an
approved over-budget pre-approval; another is approved and unused, one waits
for the manager and one is a draft."""
import datetime as dt
from decimal import ROUND_UP, Decimal

# the heading account of the selling expenses in the chart
SELLING_CODE = '5.2.4'
# code, name, account code, account name, guests required, standards
# (name, basis, city class, cap).  A category's standards all apply to its
# lines of their city class: the per diem, which would cap every travel
# line, has its own category.
CATEGORIES = [
    ('MKT', "Marketing", '5.2.4.1', "Selling Expenses - Marketing", False,
        []),
    ('TRV', "Travel", '5.2.4.2', "Selling Expenses - Travel", False, [
            ("Hotel, first-tier city", 'night', 'first', 600),
            ("Hotel, second-tier city", 'night', 'second', 450),
            ("Hotel, other city", 'night', 'other', 300),
            ]),
    ('ALW', "Travel Allowance", '5.2.4.3',
        "Selling Expenses - Travel Allowances", False, [
            ("Per diem", 'day', None, 150),
            ]),
    ('ENT', "Business Entertainment", '5.2.4.4',
        "Selling Expenses - Business Entertainment", True, [
            ("Per guest", 'guest', None, 300),
            ]),
    ('TRN', "Training", '5.2.4.5', "Selling Expenses - Training", False, []),
    ('OTH', "Other", '5.2.4.9', "Selling Expenses - Other", False, []),
    ]
# the yearly budget of each team, split by month: the South team's travel
# is tight, its trade fair needs a pre-approval
TEAM_BUDGETS = {
    'E': {'TRV': 60000, 'ALW': 18000, 'ENT': 48000, 'OTH': 6000},
    'N': {'TRV': 54000, 'ALW': 14400, 'ENT': 43200, 'OTH': 6000},
    'S': {'TRV': 30000, 'ALW': 12000, 'ENT': 36000, 'OTH': 4800},
    }
# the department's budget, split by quarter: the categories no team holds
DEPARTMENT_BUDGET = {'MKT': 150000, 'TRN': 48000}
# who prepares the department's budget (a supervisor: the manager approves)
DEPARTMENT_PREPARER = 'E'
# a draft budget for the next fiscal year, if there is one
NEXT_YEAR_TEAM = 'E'
NEXT_YEAR_BUDGET = {'TRV': 66000, 'ALW': 18000, 'ENT': 52000, 'OTH': 6000}

# The claims: (team, member index, state, description, lines).  States:
# 'draft', 'supervisor' (submitted, waiting for the supervisor), 'finance'
# (the supervisor approved, waiting for finance), 'approved', 'posted',
# 'paid', 'cancelled' (submitted then cancelled), 'withdrawn' (cancelled as
# a draft).  A line is (days ago, category, purpose, quantity, city class,
# amount, options): 'opportunity' names the claimant's opportunity (and
# its customer), 'won' the one won on the line's day, 'customer' its
# customer only; 'guests' ({customer} is its name), 'justification',
# 'no_receipt' (the scan not attached yet).
CLAIMS = [
    ('E', 0, 'paid', "Customer visits in Hangzhou", [
            (50, 'TRV', "High-speed rail Shanghai-Hangzhou, return", 1,
                None, 146, {'customer': True}),
            (50, 'TRV', "Hotel in Hangzhou", 2, 'second', 820, {}),
            (49, 'ALW', "Per diem, Hangzhou", 2, None, 300, {}),
            (49, 'ENT', "Dinner with the purchasing team", 3, None, 780, {
                    'opportunity': True,
                    'guests': "Mr. Han, purchasing director; Ms. Xie, head "
                    "of operations; Mr. Song, buyer ({customer})"}),
            ]),
    ('E', 2, 'posted', "Commissioning order signed in Shanghai", [
            (34, 'OTH', "Taxis to the customer's plant", 1, None, 126, {
                    'customer': True}),
            (33, 'ENT', "Dinner for the signing of the order", 4, None,
                1460, {
                    'won': True,
                    'guests': "Mr. Lu, general manager; Ms. Zhu, chief "
                    "engineer; Mr. Han, purchasing director; Ms. Shen, "
                    "plant director ({customer})",
                    'justification': "The general manager and three "
                    "directors came to sign the order: a banquet was "
                    "expected and the supervisor agreed beforehand."}),
            (32, 'MKT', "Product samples couriered to the customer", 1,
                None, 380, {'customer': True}),
            ]),
    ('E', 1, 'approved', "Trade fair week in Shanghai", [
            (20, 'TRV', "Hotel near the New International Expo Centre", 3,
                'first', 2100, {
                    'justification': "Fair week: every hotel within reach "
                    "of the expo centre charged above the standard; this "
                    "was the cheapest left."}),
            (19, 'ALW', "Per diem, Shanghai", 3, None, 450, {}),
            (18, 'ENT', "Lunch with the engineering team", 2, None, 420, {
                    'opportunity': True,
                    'guests': "Ms. Zhu, chief engineer; Mr. Dong, "
                    "maintenance manager ({customer})"}),
            ]),
    ('E', 3, 'supervisor', "Visit to a customer in Nanjing", [
            (6, 'TRV', "High-speed rail Shanghai-Nanjing, return", 1, None,
                288, {'customer': True}),
            (6, 'TRV', "Hotel in Nanjing", 1, 'second', 430, {}),
            (5, 'ALW', "Per diem, Nanjing", 2, None, 300, {}),
            (5, 'ENT', "Dinner with the plant director", 2, None, 560, {
                    'opportunity': True,
                    'guests': "Ms. Shen, plant director; Mr. Tang, "
                    "production manager ({customer})"}),
            ]),
    ('E', 0, 'draft', "Consultative selling workshop", [
            (3, 'TRN', "Workshop fee: consultative selling", 1, None, 2800, {
                    'no_receipt': True}),
            ]),
    ('E', 1, 'cancelled', "Taxis in Shanghai", [
            (12, 'OTH', "Taxis to the customer's plant", 1, None, 98, {
                    'customer': True}),
            ]),
    ('N', 0, 'paid', "Boiler feed pumps project, Tianjin", [
            (45, 'TRV', "High-speed rail Beijing-Tianjin, return", 1, None,
                110, {'customer': True}),
            (45, 'ENT', "Dinner with the engineering team", 3, None, 840, {
                    'opportunity': True,
                    'guests': "Mr. Dong, chief engineer; Ms. Tian, process "
                    "engineer; Mr. Cao, maintenance ({customer})"}),
            (44, 'ENT', "Lunch with the purchasing director", 2, None, 460, {
                    'opportunity': True,
                    'guests': "Mr. Song, deputy general manager; Ms. Peng, "
                    "purchasing ({customer})"}),
            (44, 'ALW', "Per diem, Tianjin", 2, None, 300, {}),
            ]),
    ('N', 1, 'posted', "Maintenance contract signed in Jinan", [
            (30, 'TRV', "High-speed rail Beijing-Jinan, return", 1, None,
                420, {'customer': True}),
            (30, 'TRV', "Hotel in Jinan", 2, 'second', 900, {}),
            (29, 'ENT', "Dinner for the signing of the maintenance "
                "contract", 5, None, 1350, {
                    'won': True,
                    'guests': "Mr. Qian, maintenance director, and four "
                    "engineers of his department ({customer})"}),
            (29, 'ALW', "Per diem, Jinan", 2, None, 300, {}),
            ]),
    ('N', 2, 'finance', "Sensor demonstration on site", [
            (12, 'TRV', "Car rental for the demonstration kit", 1, None, 650,
                {'customer': True}),
            (12, 'MKT', "Shipping of the demonstration kit", 1, None, 460, {
                    'customer': True}),
            (11, 'ENT', "Dinner with the logistics managers", 3, None, 870, {
                    'opportunity': True,
                    'guests': "Mr. Pan, warehouse manager; Ms. Yuan, "
                    "logistics director; Mr. Xiao, IT ({customer})"}),
            ]),
    ('N', 3, 'supervisor', "Customer visit in Shenyang", [
            (4, 'TRV', "Flight Beijing-Shenyang, return", 1, None, 1280, {
                    'customer': True}),
            (4, 'TRV', "Hotel in Shenyang", 2, 'other', 640, {
                    'justification': "The only hotel within reach of the "
                    "plant in the industrial park."}),
            (3, 'ALW', "Per diem, Shenyang", 2, None, 300, {}),
            (3, 'ENT', "Dinner with the general manager", 2, None, 500, {
                    'opportunity': True,
                    'guests': "Mr. Lu, general manager; Ms. Jiang, "
                    "purchasing ({customer})"}),
            ]),
    ('N', 1, 'approved', "Smart Factory Forum, Beijing", [
            (10, 'TRN', "Forum fee: Smart Factory Forum", 1, None, 1800, {}),
            (10, 'OTH', "Taxis to the forum", 1, None, 86, {}),
            ]),
    ('N', 0, 'draft', "Visit to a customer in Tianjin", [
            (1, 'TRV', "High-speed rail Beijing-Tianjin, return", 1, None,
                110, {'customer': True}),
            ]),
    ('S', 0, 'paid', "Installation order in Xiamen", [
            (42, 'TRV', "Flight Guangzhou-Xiamen, return", 1, None, 1560, {
                    'customer': True}),
            (42, 'TRV', "Hotel in Xiamen", 2, 'second', 880, {}),
            (42, 'ENT', "Dinner with the project team", 4, None, 1100, {
                    'opportunity': True,
                    'guests': "Ms. Deng, project manager, and three "
                    "engineers of the plant ({customer})"}),
            (41, 'ENT', "Dinner for the signing of the order", 3, None, 870, {
                    'won': True,
                    'guests': "Mr. Lu, general manager; Ms. Deng, project "
                    "manager; Mr. Tang, finance ({customer})"}),
            (41, 'ALW', "Per diem, Xiamen", 2, None, 300, {}),
            ]),
    ('S', 1, 'approved', "Sensor trial in Foshan", [
            (15, 'TRV', "Car to Foshan: fuel, tolls and parking", 1, None,
                180, {'customer': True}),
            (15, 'ENT', "Lunch with the quality team", 3, None, 540, {
                    'opportunity': True,
                    'guests': "Ms. Feng, quality manager, and two "
                    "inspectors ({customer})"}),
            ]),
    ('S', 2, 'finance', "Maintenance proposal in Shenzhen", [
            (9, 'TRV', "High-speed rail Guangzhou-Shenzhen, return", 1, None,
                150, {'customer': True}),
            (9, 'OTH', "Printing of the proposal binders", 1, None, 260, {
                    'customer': True}),
            (9, 'ENT', "Dinner with the electronics plant managers", 2,
                None, 480, {
                    'opportunity': True,
                    'guests': "Mr. Xiao, plant manager; Ms. Tian, "
                    "maintenance ({customer})"}),
            ]),
    ('S', 3, 'withdrawn', "Trip to Xiamen (postponed)", [
            (7, 'TRV', "Flight Guangzhou-Xiamen, return", 1, None, 1320, {
                    'customer': True}),
            ]),
    ]
# the trade fair above the South team's travel budget: its stand duty,
# claimed on the day, under a pre-approval asked for beforehand
FAIR = ('S', 0, "Stand duty at the Shenzhen Industrial Automation Fair", [
        ('TRV', "Hotel next to the fair", 4, 'first', 2360),
        ('TRV', "High-speed rail Guangzhou-Shenzhen, return", 1, None, 160),
        ('TRV', "Taxis between the hotel and the fair", 1, None, 240),
        ], "Stand duty at the Shenzhen Industrial Automation Fair: the "
    "hotels of the fair week exceed what is left of this month's travel "
    "budget.")
# the other pre-approvals: (team, member, state, category, amount, days
# until the spending, reason)
PREAPPROVALS = [
    ('S', 2, 'approved', 'ENT', 3000, 20, "Customer day for the electronics "
        "plants of Shenzhen at our demonstration centre, with dinner."),
    ('N', 2, 'requested', 'TRV', 2500, 14, "Second round of sensor "
        "demonstrations at the logistics parks of Tianjin and Jinan."),
    ('E', 3, 'draft', 'TRV', 1800, 30, "Acceptance test of the packaging "
        "line in Nanjing, three engineers of ours on site."),
    ]


def load(ctx):
    "Configuration, categories, budgets, claims and pre-approvals"
    as_user = ctx.as_user
    members = ctx.team_members

    try:
        as_user()
        accounts = _accounting(ctx)
        as_user('opsadmin')
        categories = _categories(accounts)
        budgets = _budgets(ctx, as_user, categories)
        as_user(ctx.manager)
        _approve([b for b in budgets if b.state == 'submitted'])

        claims = [_Claim(members[code][member], *rest)
            for code, member, *rest in CLAIMS]
        _opportunities(ctx, as_user, claims)
        for claim in claims:
            as_user(claim.login)
            claim.create(ctx, categories)
        _review(ctx, as_user, claims)
        _preapprovals(ctx, as_user, members, categories)
    finally:
        as_user()


class _Claim:
    "One demo claim and what becomes of it"

    def __init__(self, login, state, description, lines):
        self.login, self.state = login, state
        self.description, self.lines = description, lines
        self.opportunity = self.won = self.customer = None
        self.record = None

    def create(self, ctx, categories):
        "The claimant enters the claim, submits or cancels it"
        from proteus import Model
        Claim = Model.get('sale.expense.claim')
        Category = Model.get('sale.expense.category')
        Opportunity = Model.get('sale.opportunity')
        Party = Model.get('party.party')
        claim = Claim(description=self.description)
        for number, (days, code, purpose, quantity, city_class, amount,
                options) in enumerate(self.lines, 1):
            line = claim.lines.new()
            line.date = _day(ctx, days)
            line.category = Category(categories[code].id)
            line.description = purpose
            line.quantity = quantity
            line.city_class = city_class
            line.amount = Decimal(amount)
            opportunity = (self.won if options.get('won')
                else self.opportunity if options.get('opportunity')
                else None)
            customer = opportunity.party if opportunity else (
                self.customer if options.get('customer') else None)
            if customer:
                line.party = Party(customer.id)
            if opportunity:
                line.opportunity = Opportunity(opportunity.id)
            if options.get('guests'):
                line.guests = options['guests'].format(customer=(
                        customer.name if customer else "the customer"))
            line.justification = options.get('justification')
            if not options.get('no_receipt'):
                serial = 44000000 + 7919 * number * (days + 3) + amount
                receipt_number = f'{serial:08d}'
                line.receipt_number = receipt_number
                line.receipt = _receipt_pdf(
                    receipt_number, line.date, purpose, amount)
                line.receipt_name = f'receipt-{receipt_number}.pdf'
        claim.save()
        if self.state == 'withdrawn':
            claim.click('cancel')
        elif self.state != 'draft':
            claim.click('submit')
            if self.state == 'cancelled':
                # entered twice: the claimant withdraws the copy
                claim.click('cancel')
        self.record = claim


def _day(ctx, days):
    "The day some days ago, not before the fiscal year of today"
    return max(ctx.today - dt.timedelta(days=days), ctx.expense_year_start)


def _receipt_pdf(number, date, purpose, amount):
    "A one-page PDF standing for the scan of a receipt"
    def escape(text):
        text = text.encode('ascii', 'replace').decode()
        return (text.replace('\\', '\\\\').replace('(', '\\(')
            .replace(')', '\\)'))
    rows = [
        ('F2', 14, "RECEIPT / FAPIAO"),
        ('F1', 10, f"No. {number}"),
        ('F1', 10, f"Date: {date.isoformat()}"),
        ('F1', 10, purpose),
        ('F2', 12, f"Total: CNY {amount:,.2f}"),
        ]
    text = ['BT', '40 160 Td']
    for font, size, row in rows:
        text.append(f'/{font} {size} Tf ({escape(row)}) Tj 0 -22 Td')
    text.append('ET')
    stream = '\n'.join(text).encode()
    objects = [
        b'<< /Type /Catalog /Pages 2 0 R >>',
        b'<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
        b'<< /Type /Page /Parent 2 0 R /MediaBox [0 0 360 200] '
        b'/Resources << /Font << /F1 4 0 R /F2 5 0 R >> >> '
        b'/Contents 6 0 R >>',
        b'<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
        b'<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold >>',
        b'<< /Length %d >>\nstream\n' % len(stream) + stream
        + b'\nendstream',
        ]
    pdf = bytearray(b'%PDF-1.4\n')
    offsets = []
    for number_, body in enumerate(objects, 1):
        offsets.append(len(pdf))
        pdf += b'%d 0 obj\n' % number_ + body + b'\nendobj\n'
    xref = len(pdf)
    pdf += b'xref\n0 %d\n0000000000 65535 f \n' % (len(objects) + 1)
    for offset in offsets:
        pdf += b'%010d 00000 n \n' % offset
    pdf += (b'trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n'
        % (len(objects) + 1, xref))
    return bytes(pdf)


def _accounting(ctx):
    """The selling expense accounts, the expense journal and the payment
    journal of the reimbursements in the sale configuration"""
    from proteus import Model
    Account = Model.get('account.account')
    Configuration = Model.get('sale.configuration')
    FiscalYear = Model.get('account.fiscalyear')
    Journal = Model.get('account.journal')
    PaymentJournal = Model.get('account.payment.journal')

    fiscalyear, = FiscalYear.find([
            ('company', '=', ctx.company.id),
            ('start_date', '<=', ctx.today),
            ('end_date', '>=', ctx.today),
            ])
    ctx.expense_year_start = fiscalyear.start_date
    # beside the chart's function expenses, a heading of their own: an
    # account's type is its parent's when the parent has one
    expense = ctx.accounts['expense']
    functions = Account.find([
            ('company', '=', ctx.company.id), ('code', '=', '5.2.0')],
        limit=1)
    parent = Account(company=ctx.company, name="Selling Expenses",
        code=SELLING_CODE,
        parent=functions[0] if functions else expense.parent)
    parent.save()
    accounts = []
    for _, _, code, name, _, _ in CATEGORIES:
        accounts.append(Account(company=ctx.company, name=name, code=code,
                type=expense.type, parent=parent))
    Account.save(accounts)

    expense_journal, = Journal.find([('code', '=', 'EXP')], limit=1)
    cash_journal, = Journal.find([('code', '=', 'CASH')], limit=1)
    payment_journal = PaymentJournal(name="Expense Reimbursements",
        process_method='manual', currency=ctx.currency,
        clearing_account=ctx.accounts['cash'], clearing_journal=cash_journal)
    payment_journal.save()
    configuration = Configuration(1)
    configuration.expense_journal = expense_journal
    configuration.expense_payment_journal = payment_journal
    configuration.save()
    return {c[0]: a for c, a in zip(CATEGORIES, accounts)}


def _categories(accounts):
    "The categories of the policy with their spending standards (P6.1)"
    from proteus import Model
    Account = Model.get('account.account')
    Category = Model.get('sale.expense.category')
    categories = []
    for code, name, _, _, guests, standards in CATEGORIES:
        category = Category(name=name, code=code,
            account=Account(accounts[code].id), guests_required=guests)
        for standard, basis, city_class, amount in standards:
            category.standards.new(name=standard, basis=basis,
                city_class=city_class, amount=Decimal(amount))
        categories.append(category)
    Category.save(categories)
    return {c.code: c for c in categories}


def _budgets(ctx, as_user, categories):
    """Each supervisor prepares the team's budget of the year by month, the
    East supervisor the department's by quarter, and submits them; a draft
    is prepared for the next fiscal year, if there is one"""
    from proteus import Model
    Budget = Model.get('sale.expense.budget')
    Category = Model.get('sale.expense.category')
    FiscalYear = Model.get('account.fiscalyear')
    Team = Model.get('sale.team')

    def prepare(fiscalyear, team, split, amounts, submit=True):
        budget = Budget(fiscalyear=FiscalYear(fiscalyear.id), split=split)
        if team:
            budget.team = Team(team.id)
        for code, amount in amounts.items():
            budget.lines.new(category=Category(categories[code].id),
                amount=Decimal(amount))
        budget.save()
        budget.click('split_periods')
        if submit:
            budget.click('submit')
        return budget

    as_user()
    fiscalyear, = FiscalYear.find([
            ('company', '=', ctx.company.id),
            ('start_date', '<=', ctx.today),
            ('end_date', '>=', ctx.today),
            ])
    following = FiscalYear.find([
            ('company', '=', ctx.company.id),
            ('start_date', '>', fiscalyear.end_date),
            ], order=[('start_date', 'ASC')], limit=1)
    budgets = []
    for code, amounts in TEAM_BUDGETS.items():
        as_user(ctx.supervisors[code])
        budgets.append(prepare(fiscalyear, ctx.teams[code], 'month', amounts))
    as_user(ctx.supervisors[DEPARTMENT_PREPARER])
    budgets.append(
        prepare(fiscalyear, None, 'quarter', DEPARTMENT_BUDGET))
    if following:
        as_user(ctx.supervisors[NEXT_YEAR_TEAM])
        budgets.append(prepare(following[0], ctx.teams[NEXT_YEAR_TEAM],
                'month', NEXT_YEAR_BUDGET, submit=False))
    return budgets


def _approve(documents, step=None):
    "The user approves the waiting steps (or the step) of the documents"
    from proteus import Model
    Request = Model.get('approval.request')
    requests = [r for d in documents for r in d.approvals
        if r.state == 'waiting' and (step is None or r.sequence == step)]
    if requests:
        Request.click([Request(r.id) for r in requests], 'approve')


def _opportunities(ctx, as_user, claims):
    """The opportunities and customers the claims name: the claimant's;
    the opportunities won after a dinner are converted, quoted and
    confirmed by their salesperson on the dinner's day"""
    from proteus import Model
    Opportunity = Model.get('sale.opportunity')
    rank = {'won': 0, 'converted': 1, 'opportunity': 2, 'lead': 3}
    by_employee = {}
    as_user()
    for opportunity in Opportunity.find(
            [('state', 'in', list(rank))], order=[('id', 'ASC')]):
        if opportunity.employee:
            by_employee.setdefault(opportunity.employee.id, []).append(
                opportunity)
    regions = {}
    for party, region in ctx.customers:
        regions.setdefault(region, []).append(party)
    login_region = dict((login, code) for code, login in ctx.salespeople)

    won = {}
    for claim in claims:
        mine = sorted(by_employee.get(ctx.employees[claim.login].id, []),
            key=lambda o: (rank[o.state], o.id))
        if mine:
            claim.opportunity = mine[0]
            claim.customer = mine[0].party
        else:
            region = regions.get(login_region[claim.login]) or [
                p for p, _ in ctx.customers]
            claim.customer = region[len(claim.description) % len(region)]
        days = [l[0] for l in claim.lines if l[6].get('won')]
        # within the customer's credit limit, with the tax
        candidates = [o for o in mine if o.state == 'opportunity'
            and (o.party.credit_limit_amount is None
                or o.party.credit_amount + (o.amount or 0) * Decimal('1.2')
                <= o.party.credit_limit_amount)]
        if days and candidates:
            claim.won = claim.opportunity = candidates[0]
            won[claim.won.id] = (claim.login, _day(ctx, days[0]))
        elif days:
            claim.won = claim.opportunity

    for id_, (login, date) in won.items():
        as_user(login)
        opportunity = Opportunity(id_)
        opportunity.click('convert')
        sale, = Opportunity(id_).sales
        sale.quotation_date = sale.sale_date = date
        if any(l.product and l.product.type == 'goods' for l in sale.lines):
            # the delivery promised to the customer when signing
            sale.shipping_date = date + dt.timedelta(days=30)
        sale.save()
        sale.click('quote')
        sale.click('confirm')
    if won:
        # won on the day the order was signed
        as_user()
        for id_, (_, date) in won.items():
            Opportunity._proxy.write([id_], {'end_date': date},
                Opportunity._config.context)


def _review(ctx, as_user, claims):
    """The supervisors, then finance, approve the claims; finance posts
    and pays them, and the bank's payment out succeeds"""
    from proteus import Model
    Claim = Model.get('sale.expense.claim')
    Payment = Model.get('account.payment')
    reviewed = [c for c in claims
        if c.state in {'finance', 'approved', 'posted', 'paid'}]
    supervisor_of = {login: ctx.supervisors[code]
        for code, login in ctx.salespeople}
    by_supervisor = {}
    for claim in reviewed:
        by_supervisor.setdefault(supervisor_of[claim.login], []).append(claim)
    for login, team_claims in sorted(by_supervisor.items()):
        as_user(login)
        _approve([Claim(c.record.id) for c in team_claims], step=10)

    as_user('finance')
    final = [Claim(c.record.id) for c in reviewed if c.state != 'finance']
    _approve(final, step=20)
    to_post = [Claim(c.record.id) for c in reviewed
        if c.state in {'posted', 'paid'}]
    if to_post:
        Claim.click(to_post, 'post')
    to_pay = [Claim(c.record.id) for c in reviewed if c.state == 'paid']
    if to_pay:
        Claim.click(to_pay, 'pay')
        # the proteus class of the claims may come from a claimant, who
        # does not read the payments: found by their reference
        payments = Payment.find([
                ('reference', 'in', [c.number for c in to_pay]),
                ('state', '=', 'processing'),
                ])
        Payment.click(payments, 'succeed')


def _preapprovals(ctx, as_user, members, categories):
    """The trade fair's pre-approval, approved and consumed by its claim
    over the budget; one approved and unused, one waiting for the manager,
    one draft"""
    from proteus import Model
    from proteus.config import get_config
    config = get_config()
    Category = Model.get('sale.expense.category')
    Claim = Model.get('sale.expense.claim')
    Date = Model.get('ir.date')
    Period = Model.get('sale.expense.budget.period')
    PreApproval = Model.get('sale.expense.preapproval')

    code, member, description, lines, reason = FAIR
    login = members[code][member]
    travel = categories[lines[0][0]]
    as_user(login)
    # the company's day, which dates the request
    today = Date._proxy.today(config.context)
    period, = Period.find([
            ('team', '=', ctx.teams[code].id),
            ('category', '=', travel.id),
            ('state', '=', 'approved'),
            ('start_date', '<=', today),
            ('end_date', '>=', today),
            ])
    total = sum(Decimal(l[4]) for l in lines)
    # what the budget lacks, rounded up to the hundred
    lacking = max(total - period.remaining, Decimal(1))
    amount = (lacking / 100).to_integral_value(rounding=ROUND_UP) * 100
    fair = PreApproval(category=Category(travel.id), amount=amount,
        expected_date=today, reason=reason)
    fair.save()
    fair.click('request')
    others = []
    for code_, member_, state, category, amount_, days, reason_ in (
            PREAPPROVALS):
        as_user(members[code_][member_])
        preapproval = PreApproval(category=Category(categories[category].id),
            amount=Decimal(amount_), reason=reason_,
            expected_date=today + dt.timedelta(days=days))
        preapproval.save()
        if state != 'draft':
            preapproval.click('request')
        others.append((state, preapproval))

    as_user(ctx.manager)
    _approve([PreApproval(fair.id)] + [PreApproval(p.id)
            for s, p in others if s == 'approved'])

    # the claim of the fair, from the day of the request on
    as_user(login)
    fair = PreApproval(fair.id)
    claim = Claim(description=description, preapproval=fair)
    for number, (category, purpose, quantity, city_class, amount_) in (
            enumerate(lines, 1)):
        line = claim.lines.new()
        line.date = fair.request_date
        line.category = Category(categories[category].id)
        line.description = purpose
        line.quantity = quantity
        line.city_class = city_class
        line.amount = Decimal(amount_)
        line.receipt_number = f'{44100000 + 613 * number + amount_:08d}'
        line.receipt = _receipt_pdf(
            line.receipt_number, line.date, purpose, amount_)
        line.receipt_name = f'receipt-{line.receipt_number}.pdf'
    claim.save()
    claim.click('submit')
