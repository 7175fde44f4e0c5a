# This file is part of Sales Ops.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.model import ModelSQL, ModelView
from trytond.pool import PoolMeta
from trytond.wizard import StateTransition, Wizard


class Configuration(metaclass=PoolMeta):
    __name__ = 'sale.configuration'


class Channel(ModelSQL, ModelView):
    "Lead Channel"
    __name__ = 'sale.lead.channel'


class Party(metaclass=PoolMeta):
    __name__ = 'party.party'


class Opportunity(metaclass=PoolMeta):
    __name__ = 'sale.opportunity'


class ScoreLeads(Wizard):
    "Score Leads"
    __name__ = 'sale.opportunity.score'
    start_state = 'score'
    score = StateTransition()

    def transition_score(self):
        return 'end'
