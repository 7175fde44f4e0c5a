# This file is part of Sales Ops.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Demo follow-up log (policy P3.1.3): one to three contacts per lead over
the last weeks, with the customer's feedback and the next steps; some next
steps are due in the coming days, a few are overdue, and a few class-A leads
are left without any follow-up, so that the calendar of next steps and the
"Needs Follow-up" list show something."""
import datetime as dt
import random
from zoneinfo import ZoneInfo

# (method, content, feedback, next step) by stage of the conversation
FIRST = [
    ('phone', "Introduced our {product} and asked about their current "
        "equipment and volumes.",
        "Interested; the current supplier is slow on spare parts.",
        "Send the data sheet and a reference list"),
    ('email', "Sent the catalogue and the data sheet of the {product} "
        "after their enquiry.",
        "Asked whether the {product} fits their existing line.",
        "Call the plant engineer to check the fit"),
    ('visit', "Visited the plant with the area engineer; walked the line "
        "where the {product} would go.",
        "The production manager wants a demonstration first.",
        "Arrange a demonstration at our Shanghai showroom"),
    ('meeting', "Met the purchasing manager at the trade show booth; "
        "presented the {product}.",
        "Budget is planned for next quarter; needs a first price.",
        "Send an indicative price"),
    ]
LATER = [
    ('phone', "Followed up on the documents sent; answered technical "
        "questions about the {product}.",
        "Satisfied with the answers; comparing with two other offers.",
        "Send a formal quotation"),
    ('meeting', "Demonstration of the {product} with their engineers and "
        "the purchasing manager.",
        "Good impression; concerned about the delivery time.",
        "Confirm the delivery lead time with the factory"),
    ('email', "Sent the quotation for the {product} with installation "
        "and training.",
        "Asked for a discount on a larger quantity.",
        "Prepare a volume offer for the supervisor's approval"),
    ('message', "WeChat exchange with the purchasing manager about the "
        "payment terms.",
        "Prefers 30% advance and the balance at 60 days.",
        "Check the payment terms with finance"),
    ('visit', "Second visit to agree the installation schedule for the "
        "{product}.",
        "Wants installation during the Golden Week shutdown.",
        "Book the installation team"),
    ]


def load(ctx):
    "Demo data of this area; ctx is described in scripts/demo.py"
    from proteus import Model

    FollowUp = Model.get('sale.followup')
    Opportunity = Model.get('sale.opportunity')
    # an own generator, so that the other parts get the same data with or
    # without this one
    rng = random.Random(3113)
    today = ctx.today
    zone = ZoneInfo(ctx.company.timezone or 'UTC')

    def moment(day):
        "A time of the business day, stored in UTC as Tryton does"
        local = dt.datetime.combine(
            day, dt.time(rng.randint(9, 17), rng.choice([0, 15, 30, 45])),
            tzinfo=zone)
        return local.astimezone(dt.timezone.utc).replace(tzinfo=None)

    # the scoring of the lead part has classed the leads
    class_a = {o.id for o in Opportunity.find([
                ('id', 'in', [o.id for o in ctx.opportunities]),
                ('lead_class', '=', 'A'),
                ])}
    followups = []
    overdue = 0
    for index, opportunity in enumerate(ctx.opportunities):
        # every third becomes an opportunity in the demo and needs a
        # follow-up; some other leads are left without any, and those of
        # class A show in "Needs Follow-up"
        if index % 3 != 0 and (
                opportunity.id in class_a or index % 5 == 1):
            continue
        party = opportunity.party
        product = opportunity.description.split(' for ')[0]
        contacts = {m.type: m for m in party.contact_mechanisms}
        span = (today - opportunity.start_date).days
        count = min(rng.randint(1, 3), span + 1)
        days = sorted(rng.sample(range(span + 1), count))
        for number, offset in enumerate(days):
            day = opportunity.start_date + dt.timedelta(days=offset)
            method, content, feedback, next_step = rng.choice(
                FIRST if number == 0 else LATER)
            followup = FollowUp(
                party=party, opportunity=opportunity,
                employee=opportunity.employee, method=method,
                date=moment(day), content=content.format(product=product),
                feedback=feedback.format(product=product),
                next_step=next_step)
            if method in {'phone', 'message'} and 'phone' in contacts:
                followup.contact = contacts['phone']
            elif method == 'email' and 'email' in contacts:
                followup.contact = contacts['email']
            if number < count - 1:
                # done before the next contact
                following = opportunity.start_date + dt.timedelta(
                    days=days[number + 1])
                followup.next_step_date = day + dt.timedelta(
                    days=rng.randint(0, (following - day).days))
                followup.next_step_done = True
            elif overdue < 3 and (today - day).days >= 3:
                overdue += 1
                followup.next_step_date = today - dt.timedelta(
                    days=rng.randint(1, min(3, (today - day).days - 1)))
            else:
                followup.next_step_date = today + dt.timedelta(
                    days=rng.randint(1, 10))
            followups.append(followup)
    FollowUp.save(followups)
