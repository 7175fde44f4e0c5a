# This file is part of Sales Ops.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Demo of P7 training and career development.  Each employee of the sales
department stands on the step of the ladder of their role, and the sale
configuration takes the training plans' budget from the department's
training expense budget (category TRN).  The supervisors assessed their
salespeople against the levels the role requires, the sales manager the
supervisors: most meet them, each team is short on two competencies of its
own, and the levels keep their history (an assessment of eight months ago,
then a newer one).  The manager keeps five courses, one per method:
internal workshops led by a supervisor or by the manager, an external
product academy, an online course and a project practice.

Five weeks ago each supervisor analysed the needs of the team: the East
analysis also carries the sales signal of Yang Lei, who won one of six
opportunities decided in the three months before; its training plan was
submitted and approved by the manager, the North plan waits for him, the
South analysis is only computed.  The sessions of the last two months were
held: attendance (one salesperson absent), exam and practical scores,
customer feedback from the revisits, passes that raised the competency
levels and a fail; one participant still waits for the scores and a session
was cancelled.  Sessions of the coming four weeks are planned with their
participants, so the calendar shows them.  The effectiveness report
compares the participants' revenue and conversion before and after their
session: Yang Lei won two of three opportunities since the workshop.

Three salespeople have a career plan toward the supervisor step (two
active, one draft); Hu Bin's plan was achieved and the manager confirmed
his promotion three weeks ago; the rotation of Xu Li to the South team is
prepared for next month."""
import datetime as dt
from decimal import ROUND_UP, Decimal
from zoneinfo import ZoneInfo

# the category of the department's expense budget the training plans spend
EXPENSE_CATEGORY = 'TRN'
# days ago of the older and of the newer competency assessments
OLD_ASSESSMENT, NEW_ASSESSMENT = 240, 75
# the competencies (codes) each team is short of: who (one or two
# salespeople each) and by how much is drawn at random; the other levels
# meet the role's or exceed it
GAPS = {
    'E': ['SKILL-NEG', 'PROD-FEAT'],
    'N': ['SKILL-PROS', 'IND-MKT'],
    'S': ['SKILL-COMM', 'PROD-APP'],
    }
# the salesperson whose conversion is low (team, member): short of a level
# of negotiation too
NEGOTIATOR = ('E', 3)

# key, name, code, method, trainer (a team's supervisor by its code, or
# 'manager'), provider, competencies, hours, cost, level, description
COURSES = [
    ('NEG', "Consultative Selling and Negotiation Workshop", 'TRN-NEG',
        'internal', 'E', None, ['SKILL-NEG', 'SKILL-COMM'], 8, 1200, 3,
        "Preparing a negotiation, handling objections on price and "
        "delivery, closing within the discount policy; role plays on the "
        "team's own deals."),
    ('PROD', "Hydraulics and Motion Control Product Academy", 'TRN-PROD',
        'external', None, "Shanghai Fluid Power Institute",
        ['PROD-FEAT', 'PROD-APP'], 16, 3600, 3,
        "Two days at the institute's test hall: pumps, servo drives and "
        "PLCs, their limits and the applications of our customers."),
    ('MKT', "Industrial Automation Market Insights", 'TRN-MKT', 'online',
        None, "Industrial Academy Online", ['IND-MKT', 'IND-COMP'], 6, 480,
        3, "Live online course: the automation market in China, the "
        "regulations coming and the competitors' ranges and prices."),
    ('PRAC', "Key Account Project Practice", 'TRN-PRAC', 'practice', 'S',
        None, ['SKILL-PROS', 'TEAM'], 40, 800, 3,
        "Four weeks on a real key account project beside the supervisor: "
        "qualifying the buying centre, the proposal and its defence, the "
        "work with engineering and finance."),
    ('CULT', "Sales Policy and Company Culture Briefing", 'TRN-CULT',
        'internal', 'manager', None, ['CULT'], 3, 0, 3,
        "The company's values and the sales operations policy: approvals, "
        "contracts, expenses and collection."),
    ]

# The sessions held: (course, team whose supervisor runs them, in the
# team's approved plan, days ago, days long, place, link, participants).
# A participant is (member index or 'sup', attendance, exam, practical,
# customer feedback): a feedback of None is taken from the participant's
# revisits after the session; no exam score, the assessment waits.
HELD = [
    ('NEG', 'E', True, 30, 1, "Shanghai office, Training Room 2", None, [
            (0, 'attend', 84, 76, None),
            (1, 'attend', 79, 70, 80),
            (2, 'attend', 48, 45, 60),
            (3, 'attend', 78, 72, None),
            ]),
    ('PROD', 'E', True, 26, 2,
        "Shanghai Fluid Power Institute, Minhang test hall", None, [
            (0, 'attend', 74, 80, None),
            (1, 'attend', 88, 85, 80),
            ('sup', 'attend', 91, 86, None),
            ]),
    ('MKT', 'N', False, 45, 1, None,
        "https://live.industrial-academy.example.com/market-insights", [
            (0, 'attend', 86, 70, None),
            (1, 'attend', 72, 64, None),
            (2, 'absent', None, None, None),
            (3, 'attend', 90, 75, 80),
            ]),
    ('PRAC', 'S', False, 60, 28, "Foshan packaging line project", None, [
            (0, 'attend', 82, 90, None),
            (2, 'attend', 70, 78, None),
            (3, 'attend', None, None, None),
            ]),
    ]
# cancelled, the trainer called away: (course, team, days ago, place)
CANCELLED = ('CULT', 'S', 10, "Guangzhou office, Meeting Room 1")
# The sessions to come: (course, who plans them: a team's code or
# 'manager', days ahead, days long, place, link, capacity, participants as
# (team, member index))
PLANNED = [
    ('MKT', 'S', 6, 1, None,
        "https://live.industrial-academy.example.com/market-insights", 30,
        [('S', 1), ('S', 2), ('S', 3)]),
    ('NEG', 'N', 12, 1, "Beijing office, Meeting Room A", None, 12,
        [('N', 0), ('N', 1), ('N', 2), ('N', 3)]),
    ('PROD', 'manager', 19, 2,
        "Shanghai Fluid Power Institute, Minhang test hall", None, 16,
        [('N', 0), ('N', 2), ('S', 2), ('S', 3)]),
    ('CULT', 'manager', 26, 1, "Shanghai head office, Auditorium", None, 30,
        None),
    ]
# hours of a session day, company time
DAY = (9, 17)
ONLINE = (14, 16)

# The conversion history of the negotiator: (days ago, won, product,
# quantity); the workshop is between
DECIDED = [
    (110, False, "Annual Maintenance Contract", 1),
    (95, False, "Installation and Commissioning", 1),
    (80, False, "Operator Training Day", 2),
    (66, False, "Annual Maintenance Contract", 1),
    (55, True, "Operator Training Day", 1),
    (48, False, "Installation and Commissioning", 2),
    (14, True, "Installation and Commissioning", 1),
    (9, False, "Operator Training Day", 3),
    (6, True, "Annual Maintenance Contract", 1),
    ]

# Career plans toward the next step: (team, member, state, days since the
# start, goals (name, days to the due date, progress))
CAREERS = [
    ('E', 1, 'active', 90, [
            ("Lead the Hangzhou key accounts", 120, 40),
            ("Coach Yang Lei through his negotiations", 150, 10),
            ("Pass the negotiation workshop", -30, 100),
            ]),
    ('N', 1, 'active', 60, [
            ("Win two new accounts in the Tianjin port area", 180, 50),
            ("Run the team's weekly pipeline review", 90, 30),
            ]),
    ('S', 1, 'draft', 0, [
            ("Take over the Xiamen distributor accounts", 200, 0),
            ("Complete the product academy", 60, 0),
            ]),
    ('S', 0, 'achieved', 400, [
            ("Reach 120% of the yearly quota", -60, 100),
            ("Coach two salespeople of the team", -40, 100),
            ("Lead the Foshan key account project", -30, 100),
            ]),
    ]
# the manager's confirmed promotion: (team, member, days ago, reason)
PROMOTION = ('S', 0, 21, "Achieved his career plan: 128% of quota over "
    "the last four quarters, led the Foshan key account project and "
    "coached two salespeople; deputy supervisor of the South team.")
# the rotation prepared for next month: (team, member, to team, reason)
ROTATION = ('N', 3, 'S', "Job rotation after three years in the North "
    "team: opens the electronics plants of the Pearl River Delta with the "
    "South team and brings the experience of the logistics parks.")


def load(ctx):
    "Roles, levels, courses, analyses and plans, sessions and careers"
    as_user = ctx.as_user
    try:
        as_user()
        _configure(ctx)
        competencies = _levels(ctx, as_user)
        as_user(ctx.manager)
        courses = _courses(ctx, competencies)
        _history(ctx, as_user)
        plans = _analyses(ctx, as_user)
        _held(ctx, as_user, courses, plans)
        _planned(ctx, as_user, courses)
        _careers(ctx, as_user)
    finally:
        as_user()


def _employee(ctx, team, member):
    "The login of a team's member by index, or of its supervisor"
    if member == 'sup':
        return ctx.supervisors[team]
    return ctx.team_members[team][member]


def _weekday(ctx, days, length=1):
    """Days from today to the first working day from then on where a
    session of some days fits in the week"""
    date = ctx.today + dt.timedelta(days=days)
    while date.weekday() >= 5 or (
            length <= 5 and date.weekday() + length > 5):
        date += dt.timedelta(days=1)
        days += 1
    return days


def _at(ctx, days, hour):
    "The UTC time of an hour of the company's day, days from today"
    zone = ZoneInfo(ctx.company.timezone or 'UTC')
    local = dt.datetime.combine(
        ctx.today + dt.timedelta(days=days), dt.time(hour), tzinfo=zone)
    return local.astimezone(dt.timezone.utc).replace(tzinfo=None)


def _configure(ctx):
    """The employees' steps of the ladder and the expense category of the
    training plans"""
    from proteus import Model
    Employee = Model.get('company.employee')
    Category = Model.get('sale.expense.category')
    Configuration = Model.get('sale.configuration')
    employees = []
    for login, employee in ctx.employees.items():
        employee = Employee(employee.id)
        if login == ctx.manager:
            employee.sales_role = 'manager'
        elif login in ctx.supervisors.values():
            employee.sales_role = 'supervisor'
        else:
            employee.sales_role = 'salesperson'
        employees.append(employee)
    Employee.save(employees)
    category, = Category.find([('code', '=', EXPENSE_CATEGORY)])
    configuration = Configuration(1)
    configuration.training_expense_category = category
    configuration.save()


def _levels(ctx, as_user):
    """Each supervisor assesses the team's salespeople, the manager the
    supervisors, against the levels of their role: an older assessment,
    then a newer one where the level changed and for some others"""
    from proteus import Model
    Competency = Model.get('sale.competency')
    Requirement = Model.get('sale.competency.requirement')
    rng = ctx.rng
    competencies = {c.code: c for c in Competency.find([])}
    required = {}
    for requirement in Requirement.find([]):
        required.setdefault(requirement.role, {})[
            requirement.competency.code] = requirement.level

    def levels(role, short):
        "{code: level}: the required level, above it or short as given"
        result = {}
        for code, level in required[role].items():
            if code in short:
                result[code] = max(level - short[code], 0)
            elif rng.random() < 0.2:
                result[code] = min(level + 1, 5)
            else:
                result[code] = level
        return result

    def assess(login, values):
        Assessment = Model.get('sale.competency.assessment')
        Employee = Model.get('company.employee')
        employee = Employee(ctx.employees[login].id)
        records = []
        for code, level in sorted(values.items()):
            competency = Model.get('sale.competency')(competencies[code].id)
            older = max(level - rng.choice([0, 0, 1]), 0)
            dates = [(OLD_ASSESSMENT, older)]
            if older != level or rng.random() < 0.25:
                dates.append((NEW_ASSESSMENT - rng.randint(0, 20), level))
            for days, value in dates:
                records.append(Assessment(employee=employee,
                        competency=competency, level=value,
                        date=ctx.today - dt.timedelta(days=days)))
        Assessment.save(records)

    for code, members in ctx.team_members.items():
        short = {index: {} for index in range(len(members))}
        for competency in GAPS[code]:
            # among those not short yet, so that the plan trains several
            others = [i for i, s in short.items() if not s] or list(short)
            for index in rng.sample(others, min(rng.choice([1, 2]),
                        len(others))):
                short[index][competency] = rng.choice([1, 1, 2])
        if code == NEGOTIATOR[0]:
            short[NEGOTIATOR[1]]['SKILL-NEG'] = 1
        as_user(ctx.supervisors[code])
        for index, login in enumerate(members):
            assess(login, levels('salesperson', short[index]))
    as_user(ctx.manager)
    for code, login in sorted(ctx.supervisors.items()):
        short = {}
        if rng.random() < 0.7:
            short[rng.choice(sorted(required['supervisor']))] = 1
        assess(login, levels('supervisor', short))
    return competencies


def _courses(ctx, competencies):
    "The manager's courses, one per method at least"
    from proteus import Model
    Course = Model.get('sale.training.course')
    Competency = Model.get('sale.competency')
    Employee = Model.get('company.employee')
    Party = Model.get('party.party')
    providers = {}
    courses = {}
    for (key, name, code, method, trainer, provider, codes, hours, cost,
            level, description) in COURSES:
        course = Course(name=name, code=code, method=method,
            hours=Decimal(hours), cost=Decimal(cost), level=level,
            description=description)
        if trainer:
            login = (ctx.manager if trainer == 'manager'
                else ctx.supervisors[trainer])
            course.trainer = Employee(ctx.employees[login].id)
        if provider:
            if provider not in providers:
                found = Party.find([('name', '=', provider)], limit=1)
                if found:
                    providers[provider] = found[0]
                else:
                    providers[provider] = party = Party(name=provider)
                    party.save()
            course.provider = Party(providers[provider].id)
        for competency in codes:
            course.competencies.append(Competency(competencies[competency].id))
        course.save()
        courses[key] = course
    return courses


def _history(ctx, as_user):
    """The negotiator's decided opportunities: lost ones, and won ones
    converted, quoted and confirmed on their day"""
    from proteus import Model
    Channel = Model.get('sale.lead.channel')
    Opportunity = Model.get('sale.opportunity')
    FollowUp = Model.get('sale.followup')
    Party = Model.get('party.party')
    Product = Model.get('product.product')
    team, member = NEGOTIATOR
    login = _employee(ctx, team, member)
    products = {p.template.name: p for p in ctx.products}
    # within the customers' credit limit, with the tax
    as_user()
    orders = sum(products[n].template.list_price * q
        for _, won, n, q in DECIDED if won) * Decimal('1.2')
    customers = [Party(p.id) for p, region in ctx.customers if region == team]
    customers = [p for p in customers if p.credit_limit_amount is None
        or p.credit_amount + orders <= p.credit_limit_amount] or customers
    # a referral would name its referrer
    channels = Channel.find(
        [('code', '!=', 'referral')], order=[('id', 'ASC')])

    as_user(login)
    decided = {}
    for index, (days, won, name, quantity) in enumerate(DECIDED):
        date = ctx.today - dt.timedelta(days=days)
        customer = Party(customers[index % len(customers)].id)
        product = Product(products[name].id)
        opportunity = Opportunity(party=customer,
            description=f"{name} for {customer.name.split(' Co.')[0]}",
            channel=Channel(channels[index % len(channels)].id),
            start_date=date - dt.timedelta(days=21), end_date=date,
            amount=product.template.list_price * quantity)
        line = opportunity.lines.new(product=product)
        line.quantity = quantity
        opportunity.save()
        decided[opportunity.id] = date
        if not won:
            opportunity.click('lost')
            continue
        FollowUp(party=customer, opportunity=opportunity, method='visit',
            date=_at(ctx, -days - 2, 10),
            content="Walked the plant with the buyer; the offer fits, "
            "agreed on the terms").save()
        opportunity.click('opportunity')
        opportunity.click('convert')
        sale, = Opportunity(opportunity.id).sales
        sale.quotation_date = sale.sale_date = date
        sale.save()
        sale.click('quote')
        sale.click('confirm')
    # decided on their day: losing or winning dates them today
    as_user()
    for id_, date in decided.items():
        Opportunity._proxy.write([id_], {'end_date': date},
            Opportunity._config.context)


def _analyses(ctx, as_user):
    """Each supervisor's needs analysis of five weeks ago; the East plan is
    approved, the North plan waits for the manager"""
    from proteus import Model
    Team = Model.get('sale.team')
    date = ctx.today - dt.timedelta(days=35)
    analyses = {}
    for code in ctx.teams:
        as_user(ctx.supervisors[code])
        Analysis = Model.get('sale.training.need.analysis')
        analysis = Analysis(team=Team(ctx.teams[code].id), date=date)
        analysis.save()
        analysis.click('compute')
        analyses[code] = analysis

    plans = {}
    for code, approve in [('E', True), ('N', False)]:
        as_user(ctx.supervisors[code])
        Analysis = Model.get('sale.training.need.analysis')
        analysis = Analysis(analyses[code].id)
        analysis.click('draft_plan')
        plan = analysis.plan
        # a bit above the courses' cost, to the next five hundred
        plan.budget = (plan.cost * Decimal('1.1') / 500).to_integral_value(
            rounding=ROUND_UP) * 500
        plan.save()
        plan.click('submit')
        if approve:
            analysis.click('done')
        plans[code] = plan

    as_user(ctx.manager)
    Plan = Model.get('sale.training.plan')
    Request = Model.get('approval.request')
    requests = [Request(r.id) for r in Plan(plans['E'].id).approvals
        if r.state == 'waiting']
    Request.click(requests, 'approve')
    return plans


def _held(ctx, as_user, courses, plans):
    """The sessions of the last two months: held, attendance, the scores
    and the assessment by a supervisor who did not take part"""
    from proteus import Model
    for (key, team, planned, days, length, place, link,
            participants) in HELD:
        supervisor = ctx.supervisors[team]
        as_user(supervisor)
        Session = Model.get('sale.training.session')
        Course = Model.get('sale.training.course')
        Plan = Model.get('sale.training.plan')
        Employee = Model.get('company.employee')
        Enrolment = Model.get('sale.training.enrolment')
        start, end = ONLINE if link else DAY
        days = _weekday(ctx, -days, length)
        session = Session(course=Course(courses[key].id),
            start=_at(ctx, days, start), end=_at(ctx, days + length - 1, end),
            place=place, link=link, capacity=max(12, len(participants)))
        if planned:
            session.plan = Plan(plans[team].id)
        for member, *_ in participants:
            session.enrolments.new(employee=Employee(
                    ctx.employees[_employee(ctx, team, member)].id))
        session.save()
        session.click('hold')

        enrolments = {e.employee.id: e for e in session.enrolments}
        to_assess = {}
        for member, attendance, exam, practical, feedback in participants:
            login = _employee(ctx, team, member)
            enrolment = Enrolment(enrolments[ctx.employees[login].id].id)
            enrolment.click(attendance)
            if exam is None:
                continue
            enrolment.exam_score = Decimal(exam)
            enrolment.practical_score = Decimal(practical)
            if feedback is not None:
                enrolment.feedback_score = Decimal(feedback)
            enrolment.save()
            # never by the participant: the supervisor's own by the manager
            assessor = ctx.manager if login == supervisor else supervisor
            to_assess.setdefault(assessor, []).append(enrolment.id)
        for assessor, ids in to_assess.items():
            as_user(assessor)
            Enrolment = Model.get('sale.training.enrolment')
            Enrolment.click([Enrolment(i) for i in ids], 'assess')

    key, team, days, place = CANCELLED
    as_user(ctx.supervisors[team])
    Session = Model.get('sale.training.session')
    Course = Model.get('sale.training.course')
    Employee = Model.get('company.employee')
    days = _weekday(ctx, -days)
    session = Session(course=Course(courses[key].id),
        start=_at(ctx, days, 14), end=_at(ctx, days, 17), place=place)
    for login in ctx.team_members[team]:
        session.enrolments.new(employee=Employee(ctx.employees[login].id))
    session.save()
    # the trainer was called to a customer: the team joins the briefing of
    # the whole department instead
    session.click('cancel')


def _planned(ctx, as_user, courses):
    "The sessions of the coming weeks with their participants"
    from proteus import Model
    for (key, planner, days, length, place, link, capacity,
            participants) in PLANNED:
        as_user(ctx.manager if planner == 'manager'
            else ctx.supervisors[planner])
        Session = Model.get('sale.training.session')
        Course = Model.get('sale.training.course')
        Employee = Model.get('company.employee')
        start, end = ONLINE if link else DAY
        days = _weekday(ctx, days, length)
        session = Session(course=Course(courses[key].id),
            start=_at(ctx, days, start), end=_at(ctx, days + length - 1, end),
            place=place, link=link, capacity=capacity)
        if participants is None:
            logins = [login for _, login in ctx.salespeople]
        else:
            logins = [ctx.team_members[t][i] for t, i in participants]
        for login in logins:
            session.enrolments.new(
                employee=Employee(ctx.employees[login].id))
        session.save()


def _careers(ctx, as_user):
    """The supervisors' career plans for their salespeople; the manager
    confirms a promotion and prepares a rotation"""
    from proteus import Model
    for team, member, state, days, goals in CAREERS:
        as_user(ctx.supervisors[team])
        Plan = Model.get('sale.career.plan')
        Employee = Model.get('company.employee')
        login = ctx.team_members[team][member]
        plan = Plan(employee=Employee(ctx.employees[login].id))
        plan.start_date = ctx.today - dt.timedelta(days=days)
        plan.target_date = plan.start_date + dt.timedelta(days=365)
        for name, due, progress in goals:
            plan.goals.new(name=name,
                due_date=ctx.today + dt.timedelta(days=due),
                progress=progress)
        plan.save()
        plan.click('fill_competencies')
        if state in {'active', 'achieved'}:
            plan.click('activate')
        if state == 'achieved':
            plan.click('achieve')

    as_user(ctx.manager)
    Move = Model.get('sale.career.move')
    Employee = Model.get('company.employee')
    Team = Model.get('sale.team')
    team, member, days, reason = PROMOTION
    promotion = Move(type='promotion',
        employee=Employee(ctx.employees[ctx.team_members[team][member]].id))
    promotion.to_role = 'supervisor'
    promotion.date = ctx.today - dt.timedelta(days=days)
    promotion.reason = reason
    promotion.save()
    promotion.click('confirm')

    team, member, to_team, reason = ROTATION
    next_month = (ctx.today.replace(day=1) + dt.timedelta(days=32)).replace(
        day=1)
    rotation = Move(type='rotation',
        employee=Employee(ctx.employees[ctx.team_members[team][member]].id))
    rotation.to_role = rotation.from_role
    rotation.from_team = Team(ctx.teams[team].id)
    rotation.to_team = Team(ctx.teams[to_team].id)
    rotation.date = next_month
    rotation.reason = reason
    rotation.save()
