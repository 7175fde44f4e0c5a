# This file is part of Sales Ops.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Demo of P3.2: needs, proposals, negotiated terms and a quotation waiting"
import datetime as dt
from decimal import Decimal

NEEDS = [
    ("Replace two ageing lines without stopping production",
        "Unplanned downtime of 6 hours a month on line 2",
        "Plant manager decides; purchasing director signs"),
    ("Automate packaging for the new export range",
        "Manual packing limits output to 800 boxes a day",
        "Operations director; CFO approves above ¥200,000"),
    ]


def load(ctx):
    "Two East China opportunities negotiated and converted"
    from proteus import Model
    Opportunity = Model.get('sale.opportunity')
    Proposal = Model.get('sale.opportunity.proposal')
    Sale = Model.get('sale.sale')

    term = ctx.payment_terms["30% advance, balance at 60 days"]
    east = {login for code, login in ctx.salespeople if code == 'E'}
    candidates = [o for o in map(Opportunity, [o.id for o in
                ctx.opportunities])
        if o.state == 'opportunity' and o.employee
        and o.employee.id in {ctx.employees[l].id for l in east}][:2]
    for (requirements, pain, deciders), opportunity, discount in zip(
            NEEDS, candidates, [Decimal('0.05'), Decimal('0.15')]):
        opportunity.requirements = requirements
        opportunity.pain_points = pain
        opportunity.decision_makers = deciders
        opportunity.budget = (opportunity.amount or Decimal(0)) * Decimal(
            '0.9')
        opportunity.timeline = "Decision this quarter"
        opportunity.discount = discount
        opportunity.delivery_date = ctx.today + dt.timedelta(days=30)
        opportunity.payment_term = term
        opportunity.after_sales_terms = (
            "Two years warranty, on-site service within 48 hours")
        opportunity.save()
        for version, factor in enumerate([Decimal(1), 1 - discount], 1):
            Proposal(
                opportunity=opportunity,
                date=ctx.today - dt.timedelta(days=20 - 8 * version),
                validity_date=ctx.today + dt.timedelta(days=30),
                price=(opportunity.amount or Decimal(0)) * factor,
                description=f"Proposal version {version}").save()
        opportunity.click('convert')
    sales = [s for o in candidates for s in Opportunity(o.id).sales]
    # the 15 % discount waits for the supervisor Li Na in her inbox
    Sale.click(sales, 'quote')
