# This file is part of Sales Ops.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Demo of P4 customer relationship management.  The sales manager gives
each customer an owner: the salesperson of its region who sells to it.  The
owners fill the customer files, most completely, some only in part, and
review them; a few files were last reviewed long ago and are due.  Finance
sets one credit limit by hand; the Key and Important tiers carry a default
credit limit; the manager computes the tiers from the confirmed orders, then
again once the files give the potential values, so that the tier history
shows customers moving up.  The owners record past revisits with the
customer's satisfaction and feedback; some next revisits are overdue and the
daily task reminds their visitors.  The care holidays (Spring Festival,
Mid-Autumn Festival, National Day) hold their dates of 2026 and 2027: the
greetings of the past holidays and birthdays were sent by e-mail or done as
visits, the next Spring Festival's and the coming birthday's wait, with the
recommendation of a new monitoring service to the buyers of maintenance.
Complaints about confirmed orders stand in every state: new, one late and
escalated to the supervisor, under investigation, resolved with the
customer's satisfaction, and one rejected."""
import datetime as dt
import logging
from decimal import Decimal

# the default credit limit of a tier (P4.3.2), by tier code
TIER_CREDIT = {'KEY': Decimal('500000'), 'IMP': Decimal('200000')}
# name, greeting, dates; the Chinese name and greeting for the zh_CN client
HOLIDAYS = [
    ("Spring Festival", "春节",
        "Happy Spring Festival! Everyone at Jade River Industrial thanks you "
        "for your trust over the past year and wishes you, your family and "
        "your team good health, prosperity and success in the new year.",
        "新春快乐！江川实业全体同仁衷心感谢您过去一年的信任与支持，恭祝您和"
        "家人、贵公司全体同仁新春吉祥、身体健康、事业兴旺！",
        [dt.date(2026, 2, 17), dt.date(2027, 2, 6)]),
    ("Mid-Autumn Festival", "中秋节",
        "As the full moon brings families together, Jade River Industrial "
        "sends you its warmest Mid-Autumn wishes: may your family be "
        "reunited and your business flourish.",
        "月圆人团圆。值此中秋佳节，江川实业恭祝您阖家团圆、幸福安康、"
        "生意兴隆！",
        [dt.date(2026, 9, 25), dt.date(2027, 9, 15)]),
    ("National Day", "国庆节",
        "Warm wishes for the National Day holiday from Jade River "
        "Industrial. Our service hotline stays open through the Golden "
        "Week for any urgent need of your plant.",
        "江川实业恭祝您国庆快乐、假期愉快！国庆黄金周期间我们的服务热线照常"
        "开通，随时为您的生产保驾护航。",
        [dt.date(2026, 10, 1), dt.date(2027, 10, 1)]),
    ]
# what a customer of each industry needs from us
NEEDS = {
    "Machinery": "Spare hydraulic pumps on site; commissioning of new "
    "presses within two weeks of delivery.",
    "Packaging": "Faster changeovers of the packing lines; sensors that "
    "survive daily wash-down.",
    "Food Processing": "Hygienic conveyors and maintenance outside the "
    "production shifts.",
    "Auto Parts": "Servo motors with short lead times for the new stamping "
    "cell; PPAP documents with each delivery.",
    "Textiles": "Reliable PLCs for the dyeing line; training for the night "
    "shift operators.",
    "Electronics": "Clean-room grade conveyors and precise sensors; fast "
    "response to line stoppages.",
    "Logistics": "Long conveyor runs in the new warehouse; a yearly "
    "maintenance contract with a 24 h response.",
    "Chemicals": "Explosion-proof sensors and pumps; documented "
    "maintenance for the safety audits.",
    "Building Materials": "Heavy-duty conveyors for the mixing plant; "
    "spare parts stocked nearby.",
    "Pharmaceuticals": "GMP-compliant installation records and validated "
    "controllers.",
    }
DECISION_MAKERS = [
    "Mr. Lu, general manager", "Ms. Shen, plant director",
    "Mr. Han, purchasing director", "Ms. Zhu, chief engineer",
    "Mr. Song, deputy general manager", "Ms. Xie, head of operations",
    ]
# per size: potential value range in ¥10,000
POTENTIAL = {'large': (40, 90), 'medium': (15, 40), 'small': (3, 15)}
# revisits recorded: (method, usage, satisfaction, feedback, actions)
REVISITS = [
    ('visit', "The pumps run two shifts a day; the operators like the "
        "new control panel.", 5,
        "Very satisfied with the commissioning team; asks for a quotation "
        "for the second line.",
        "Send the quotation for the second line within a week."),
    ('visit', "Servo motors installed on three of the four presses.", 4,
        "Good quality; delivery of the last motor was a week late.",
        "Confirm the delivery date of the last motor with logistics."),
    ('phone', "Sensors in daily use since the summer.", 4,
        "Happy with the sensors; wants a refresher training for new staff.",
        "Propose an operator training day next month."),
    ('video', "Maintenance contract running; two interventions this "
        "quarter.", 3,
        "The second intervention took three days to schedule.",
        "Agree a fixed maintenance day each month with the plant."),
    ('visit', "The conveyor module stops now and then on the night shift.",
        2, "Unhappy with the stoppages; considers a competitor for the next "
        "line.",
        "Send the service engineer; report to the supervisor."),
    ('email', "No new equipment this year; the PLCs run without trouble.",
        4, "Budget frozen until the spring; keeps us in mind.",
        "Call again after the Spring Festival."),
    ]
# complaints: (region, member, days ago, severity, description, state,
# investigation, cause code, corrective action, resolution, satisfaction)
COMPLAINTS = [
    ('E', 0, 24, 'medium', "The commissioning engineer arrived a day later "
        "than agreed; the line stood still for a shift.", 'done',
        "The visit was booked on the wrong day in the service calendar.",
        'SERV', "Service visits confirmed to the customer in writing the "
        "day before.",
        "Apologised; one maintenance day offered free of charge.", 4),
    ('N', 1, 30, 'high', "The invoice charges the training day twice.",
        'done', "The training day was both a separate line and part of the "
        "commissioning days.", 'BILL',
        "Finance checks service invoices against the order lines.",
        "Credit note issued for the extra day.", 3),
    ('S', 0, 16, 'low', "The customer says the maintenance report came "
        "in English only.", 'rejected',
        "The contract states English reports; a Chinese summary was sent "
        "anyway.", 'OTHER', None,
        "Explained the contract terms; a Chinese summary sent as goodwill.",
        2),
    ('E', 2, 5, 'medium', "Two sensors of the compressor station failed "
        "after a week.", 'waiting',
        "The sensors are back at the factory for analysis.", 'QUAL', None,
        None, None),
    ('S', 1, 3, 'low', "The installation team left packaging waste on "
        "site.", 'waiting', None, 'SERV', None, None, None),
    # late: received two days ago and not accepted within its 8 hours
    ('N', 0, 2, 'high', "The maintenance team did not come on the agreed "
        "day; the boiler feed pumps are still not serviced.", 'draft',
        None, None, None, None, None),
    ('E', 1, 0, 'medium', "The customer asks why the training days were "
        "moved without notice.", 'draft', None, None, None, None, None),
    ]
# the days the resolved complaints took, by severity: within the deadlines
RESOLVED_WITHIN = {'critical': 1, 'high': 4, 'medium': 7, 'low': 12}


def load(ctx):
    "Owners, files, tiers, revisits, care and complaints"
    as_user = ctx.as_user

    # the demo has no mail server: the e-mails stay in ir.email, unsent
    mail_logger = logging.getLogger('trytond.sendmail')
    disabled, mail_logger.disabled = mail_logger.disabled, True
    try:
        as_user()
        _tiers()
        _holidays(ctx)
        owners = _owners(ctx)
        as_user(ctx.manager)
        _assign_owners(owners)
        _compute_tiers()
        _files(ctx, as_user, owners)
        _reviews(ctx, as_user, owners)
        as_user('finance')
        _credit_limit(ctx, owners)
        as_user(ctx.manager)
        _compute_tiers()
        # the daily task plans the revisits of the customers with a tier
        as_user()
        _run_cron('sale.customer.revisit|plan_and_remind')
        _revisits(ctx, as_user, owners)
        as_user()
        _run_cron('sale.customer.revisit|plan_and_remind')
        _care(ctx, as_user, owners)
        _complaints(ctx, as_user, owners)
        as_user()
        _run_cron('sale.complaint|escalate_complaints')
    finally:
        as_user()
        mail_logger.disabled = disabled


def _run_cron(method):
    "Run the daily task once, as the administrator"
    from proteus import Model
    Cron = Model.get('ir.cron')
    cron, = Cron.find([('method', '=', method)])
    cron.click('run_once')


def _tiers():
    "The default credit limits of the Key and Important tiers (P4.3.2)"
    from proteus import Model
    Tier = Model.get('sale.customer.tier')
    tiers = Tier.find([('code', 'in', list(TIER_CREDIT))])
    for tier in tiers:
        tier.credit_limit = TIER_CREDIT[tier.code]
    Tier.save(tiers)


def _holidays(ctx):
    "The holidays of Chinese customers with their dates and greetings"
    from proteus import Model
    Holiday = Model.get('sale.customer.care.holiday')
    holidays = []
    for name, _, greeting, _, dates in HOLIDAYS:
        holiday = Holiday(name=name, greeting=greeting)
        for date in dates:
            holiday.dates.new(date=date)
        holidays.append(holiday)
    Holiday.save(holidays)
    # the Chinese client reads them in Chinese
    with ctx.config.set_context(language='zh_CN'):
        translated = Holiday.find([])
        by_name = {h.name: h for h in translated}
        for name, zh_name, _, zh_greeting, _ in HOLIDAYS:
            holiday = by_name[name]
            holiday.name = zh_name
            holiday.greeting = zh_greeting
        Holiday.save(translated)


def _owners(ctx):
    """The owner of each customer: the salesperson of its region who sold
    or proposed the most to it, else the region's salespeople in turn"""
    from proteus import Model
    Sale = Model.get('sale.sale')
    Opportunity = Model.get('sale.opportunity')
    members = {}
    for code, login in ctx.salespeople:
        members.setdefault(code, []).append(login)
    login_of = {ctx.employees[login].id: login
        for _, login in ctx.salespeople}
    counts = {}
    for record in Sale.find([]) + Opportunity.find([]):
        if record.employee and record.employee.id in login_of:
            key = (record.party.id, login_of[record.employee.id])
            counts[key] = counts.get(key, 0) + 1
    owners = {}
    turn = dict.fromkeys(members, 0)
    for party, region in ctx.customers:
        candidates = sorted(
            ((n, login) for (p, login), n in counts.items()
                if p == party.id and login in members[region]),
            reverse=True)
        if candidates:
            owners[party.id] = candidates[0][1]
        else:
            owners[party.id] = members[region][
                turn[region] % len(members[region])]
            turn[region] += 1
    return owners


def _assign_owners(owners):
    """The sales manager gives the customers their owners, selecting those
    of each salesperson in the list at once"""
    from proteus import Model
    Party = Model.get('party.party')
    User = Model.get('res.user')
    employee_of = {u.login: u.employee.id for u in User.find([])
        if u.employee}
    by_owner = {}
    for party, login in owners.items():
        by_owner.setdefault(login, []).append(party)
    for login, ids in sorted(by_owner.items()):
        # one write, as the client's edit of the selected records
        Party._proxy.write(ids, {'owner': employee_of[login]},
            Party._config.context)


def _compute_tiers():
    "The sales manager computes the tier of every customer"
    from proteus import Model
    Party = Model.get('party.party')
    parties = Party.find([('owner', '!=', None)])
    Party.click(parties, 'compute_tier')


def _industry(name):
    "The industry the demo's customer names end with"
    return next((i for i in NEEDS if f" {i} " in f" {name} "), None)


def _files(ctx, as_user, owners):
    """The owners fill the files of their customers: most completely, every
    seventh without decision maker, key needs or birthday, every eleventh
    with its contact person only; the birthdays of a few main contacts fall
    around today, for the care actions"""
    from proteus import Model
    Party = Model.get('party.party')
    rng, today = ctx.rng, ctx.today
    birthdays = {
        # prepared three days ahead: today for this one
        0: today + dt.timedelta(days=3),
        5: today - dt.timedelta(days=12),
        9: today - dt.timedelta(days=40),
        14: today + dt.timedelta(days=20),
        }
    by_owner = {}
    for index, (customer, _) in enumerate(ctx.customers):
        by_owner.setdefault(owners[customer.id], []).append(
            (index, customer))
    for login, customers in sorted(by_owner.items()):
        as_user(login)
        parties = []
        for index, customer in customers:
            party = Party(customer.id)
            contact = next((m.name for m in party.contact_mechanisms
                    if m.name), None)
            party.contact_person = contact
            parties.append(party)
            if index % 11 == 10:
                continue
            industry = _industry(party.name)
            party.industry = industry
            party.size = rng.choice(['large', 'medium', 'medium', 'small'])
            if index % 7 == 6:
                continue
            party.decision_maker = rng.choice(DECISION_MAKERS)
            party.key_needs = NEEDS.get(industry)
            low, high = POTENTIAL[party.size]
            party.potential_value = Decimal(rng.randint(low, high) * 10000)
            birthday = birthdays.get(index)
            if birthday is None:
                birthday = dt.date(2000, 1, 1) + dt.timedelta(
                    days=rng.randint(0, 364))
            year = rng.randint(1968, 1988)
            try:
                party.contact_birthday = birthday.replace(year=year)
            except ValueError:
                # 29 February
                party.contact_birthday = birthday.replace(year=1988)
        Party.save(parties)
    # a main contact changed: the supervisor hears of it
    customer, _ = ctx.customers[3]
    as_user(owners[customer.id])
    party = Party(customer.id)
    party.contact_person = "Ms. Ye, new purchasing manager"
    party.save()


def _reviews(ctx, as_user, owners):
    """The owners review the complete files; the files of every fifth
    customer were last reviewed over a year ago and are due, as are the
    incomplete ones, never reviewed"""
    from proteus import Model
    Party = Model.get('party.party')
    long_ago = []
    by_owner = {}
    for index, (customer, _) in enumerate(ctx.customers):
        if index % 11 == 10 or index % 7 == 6:
            continue
        if index % 5 == 4:
            long_ago.append(customer.id)
        else:
            by_owner.setdefault(owners[customer.id], []).append(customer.id)
    for login, ids in sorted(by_owner.items()):
        as_user(login)
        Party.click([Party(i) for i in ids], 'mark_reviewed')
    # the review date is not typed: the past ones as the administrator
    as_user()
    for number, id_ in enumerate(long_ago):
        Party._proxy.write([id_], {
                'last_reviewed': ctx.today - dt.timedelta(
                    days=380 + 17 * number),
                }, Party._config.context)


def _credit_limit(ctx, owners):
    """Finance gives a customer a credit limit by hand, one about to move up
    a tier: the tier keeps it"""
    from proteus import Model
    Party = Model.get('party.party')
    Tier = Model.get('sale.customer.tier')
    tiers = Tier.find([])
    parties = [Party(c.id) for c, _ in ctx.customers]

    def tier_of(score):
        return next(t for t in tiers if score >= t.min_score
            and (t.max_score is None or score < t.max_score))
    moving = [p for p in parties if p.customer_tier
        and tier_of(p.tier_score).min_score > p.customer_tier.min_score]
    party = moving[0] if moving else parties[1]
    party.credit_limit_amount = Decimal('80000')
    party.save()


def _revisits(ctx, as_user, owners):
    """The owners record past revisits, the next one following at the
    tier's interval, some now overdue; the others spread their planned
    revisits over the coming weeks, a few left overdue"""
    from proteus import Model
    Revisit = Model.get('sale.customer.revisit')
    rng, today = ctx.rng, ctx.today
    by_owner = {}
    for index, (customer, _) in enumerate(ctx.customers):
        by_owner.setdefault(owners[customer.id], []).append(
            (index, customer.id))
    for login, customers in sorted(by_owner.items()):
        as_user(login)
        ids = [i for _, i in customers]
        planned = {r.party.id: r for r in Revisit.find([
                    ('party', 'in', ids), ('state', '=', 'planned')])}
        for index, party in customers:
            revisit = planned.get(party)
            if revisit is None:
                continue
            if index % 3 == 2:
                # not revisited yet: planned in the coming weeks, or late
                if index % 4 == 0:
                    revisit.planned_date = today - dt.timedelta(
                        days=rng.randint(3, 15))
                else:
                    revisit.planned_date = today + dt.timedelta(
                        days=rng.randint(2, 45))
                revisit.save()
                continue
            # the last revisit within the tier's interval, every fifth one
            # longer ago: its next one is overdue; the Key customers were
            # revisited once more, an interval earlier
            interval = revisit.party.customer_tier.revisit_days
            if index % 5 == 0:
                last = interval + rng.randint(3, 20)
            else:
                last = rng.randint(5, max(interval - 10, 6))
            visits = [last]
            if revisit.party.customer_tier.code == 'KEY':
                visits.insert(0, last + interval + rng.randint(-5, 5))
            for days in visits:
                method, usage, satisfaction, feedback, actions = (
                    REVISITS[(index + days) % len(REVISITS)])
                date = today - dt.timedelta(days=days)
                revisit.planned_date = date
                revisit.date = date
                revisit.method = method
                revisit.usage = usage
                revisit.satisfaction = satisfaction
                revisit.feedback = feedback
                revisit.actions = actions
                revisit.click('do')
                # the next one, planned at the tier's interval
                revisit, = Revisit.find([
                        ('party', '=', party), ('state', '=', 'planned')])


def _care(ctx, as_user, owners):
    """The greetings of the holidays of the last three months and of the
    past birthdays, sent by e-mail or, for the Key customers, brought on a
    visit; the next Spring Festival's, the coming birthday's and the
    recommendation of a new service wait"""
    from proteus import Model, Wizard
    Care = Model.get('sale.customer.care')
    Configuration = Model.get('sale.configuration')
    Product = Model.get('product.product')
    Recommendation = Model.get('sale.customer.care.recommendation')
    Template = Model.get('product.template')
    today = ctx.today
    ahead = dt.timedelta(days=Configuration(1).care_days_ahead or 0)

    # the new service, recommended to the buyers of maintenance
    as_user()
    maintenance = next(p for p in ctx.products
        if p.template.name == "Annual Maintenance Contract")
    model = Template(maintenance.template.id)
    template = Template(name="Remote Monitoring Service", type='service',
        default_uom=model.default_uom, salable=True,
        list_price=Decimal('9800'), account_category=model.account_category)
    template.save()
    as_user(ctx.manager)
    recommendation = Recommendation(
        product=Product(template.products[0].id), date=today + ahead,
        message="Our new remote monitoring watches your pumps and "
        "conveyors around the clock and warns our engineers before a "
        "breakdown: a natural complement to your maintenance contract.")
    recommendation.related_products.append(Product(maintenance.id))
    recommendation.save()

    past = sorted({d for _, _, _, _, dates in HOLIDAYS for d in dates
            if today - dt.timedelta(days=90) <= d < today})
    coming = min((d for _, _, _, _, dates in HOLIDAYS for d in dates
            if d >= today), default=None)
    birthdays = sorted({today - dt.timedelta(days=12),
            today - dt.timedelta(days=40)})
    # prepared as the daily task would, the days ahead before each
    # occasion (today's run included); the coming holiday ahead of time,
    # for the gifts
    for date in sorted(set(past + birthdays)) + [today + ahead] + (
            [coming] if coming else []):
        prepare = Wizard('sale.customer.care.prepare')
        prepare.form.date = date - ahead
        prepare.execute('prepare')

    by_owner = {}
    for care in Care.find([('date', '<', today), ('state', '=', 'draft')]):
        by_owner.setdefault(owners.get(care.party.id), []).append(care.id)
    for login, ids in sorted(by_owner.items()):
        as_user(login)
        actions = [Care(i) for i in ids]
        visits = [a for a in actions if a.party.customer_tier
            and a.party.customer_tier.code == 'KEY']
        for action in visits:
            action.channel = 'task'
            action.note = "Visited with a gift box and the greeting card."
        if visits:
            Care.save(visits)
            Care.click(visits, 'do')
        emails = [a for a in actions if a not in visits]
        if emails:
            Care.click(emails, 'send')
    # the recommendation is a task: one owner already called
    as_user()
    first, = Care.find([('kind', '=', 'recommendation')], limit=1)
    as_user(owners[first.party.id])
    first = Care(first.id)
    first.channel = 'task'
    first.note = "Called the chief engineer; a demonstration is booked."
    first.save()
    first.click('do')


def _complaints(ctx, as_user, owners):
    """Complaints of customers about their confirmed orders, recorded by
    the owner of the order, in every state"""
    from proteus import Model
    from proteus.config import get_config
    Complaint = Model.get('sale.complaint')
    ComplaintType = Model.get('sale.complaint.type')
    Cause = Model.get('sale.complaint.cause')
    IrModel = Model.get('ir.model')
    Sale = Model.get('sale.sale')
    User = Model.get('res.user')
    config = get_config()

    as_user()
    type_ = ComplaintType(name="Sales Order",
        origin=IrModel.find([('name', '=', 'sale.sale')])[0])
    type_.save()
    causes = {c.code: c for c in Cause.find([])}
    login_of = {u.employee.id: u.login for u in User.find([])
        if u.employee}
    members = {}
    for code, login in ctx.salespeople:
        members.setdefault(code, []).append(login)
    # the orders to complain about: confirmed, one per customer
    orders, seen = {}, set()
    for sale in Sale.find([
                ('state', 'in', ['confirmed', 'processing', 'done']),
                ], order=[('sale_date', 'ASC'), ('id', 'ASC')]):
        login = login_of.get(sale.employee.id) if sale.employee else None
        if login and sale.party.id not in seen:
            seen.add(sale.party.id)
            orders.setdefault(login, []).append(sale.id)

    historic = []
    for (code, member, days, severity, description, state, investigation,
            cause, corrective, resolution, satisfaction) in COMPLAINTS:
        login = members[code][member]
        as_user(login)
        sale = Sale(orders[login].pop(0))
        complaint = Complaint(customer=sale.party, type=type_,
            origin=sale, severity=severity, description=description,
            date=ctx.today - dt.timedelta(days=days))
        complaint.save()
        if state == 'draft':
            continue
        # Tryton warns of other complaints about the customer's orders
        skip, config.skip_warning = config.skip_warning, True
        try:
            complaint.click('wait')
        finally:
            config.skip_warning = skip
        complaint.investigation = investigation
        complaint.cause = causes[cause] if cause else None
        complaint.corrective_action = corrective
        complaint.resolution = resolution
        complaint.customer_satisfaction = satisfaction
        complaint.save()
        if state in {'done', 'rejected'}:
            # the supervisor decides
            as_user(ctx.supervisors[code])
            complaint = Complaint(complaint.id)
            skip, config.skip_warning = config.skip_warning, True
            try:
                complaint.click('approve' if state == 'done' else 'reject')
            finally:
                config.skip_warning = skip
        historic.append((complaint.id, days))
    # accepted and resolved on their days, as they happened
    as_user()
    for id_, days in historic:
        complaint = Complaint(id_)
        received = complaint.received_at
        values = {'accepted_at': received + dt.timedelta(hours=3)}
        if complaint.resolved_at:
            values['resolved_at'] = received + dt.timedelta(
                days=min(days - 1, RESOLVED_WITHIN[complaint.severity]),
                hours=5)
        Complaint._proxy.write([id_], values, Complaint._config.context)
