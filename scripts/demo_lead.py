# This file is part of Sales Ops.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Demo of the lead channels and value scoring (P3.1.2): customers get a
size, every demo opportunity a channel (referrals name the referring
customer) and an industry fit, then all are scored at once."""
from decimal import Decimal

# channel code, share of the demo leads
CHANNEL_MIX = [
    ('online', 30), ('trade_show', 25), ('referral', 15),
    ('telemarketing', 20), ('other', 10)]
SIZES = [('small', 4), ('medium', 4), ('large', 2), (None, 1)]
INDUSTRY_FITS = [('good', 4), ('fair', 3), ('poor', 2), (None, 1)]


def pick(rng, choices):
    values, weights = zip(*choices)
    return rng.choices(values, weights=weights)[0]


def load(ctx):
    "Demo data of this area; ctx is described in scripts/demo.py"
    from proteus import Model, Wizard

    Party = Model.get('party.party')
    Channel = Model.get('sale.lead.channel')
    Opportunity = Model.get('sale.opportunity')
    Configuration = Model.get('sale.configuration')
    rng = ctx.rng

    # A typical deal of Jade River is a few tens of thousands of yuan
    configuration = Configuration(1)
    configuration.lead_revenue_target = Decimal('50000')
    configuration.lead_class_a = 60
    configuration.lead_class_b = 40
    configuration.save()

    parties = []
    for party, _ in ctx.customers:
        party.size = pick(rng, SIZES)
        parties.append(party)
    Party.save(parties)

    channels = {c.code: c for c in Channel.find([])}
    for opportunity in ctx.opportunities:
        code = pick(rng, CHANNEL_MIX)
        opportunity.channel = Channel(channels[code].id)
        if code == 'referral':
            # a customer of the same region vouches for the lead
            region = next(
                r for p, r in ctx.customers if p.id == opportunity.party.id)
            referrer = rng.choice([p for p, r in ctx.customers
                    if r == region and p.id != opportunity.party.id])
            opportunity.referrer = Party(referrer.id)
        opportunity.industry_fit = pick(rng, INDUSTRY_FITS)
    Opportunity.save(ctx.opportunities)

    # The scores follow every save already; the wizard shows the on-demand
    # rescoring of many leads at once
    Wizard('sale.opportunity.score', ctx.opportunities)
    for opportunity in ctx.opportunities:
        opportunity.reload()
