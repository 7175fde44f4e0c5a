# This file is part of Sales Ops.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.model import ModelSQL, ModelView
from trytond.pool import PoolMeta


class Party(metaclass=PoolMeta):
    __name__ = 'party.party'


class Intelligence(ModelSQL, ModelView):
    "Market Intelligence"
    __name__ = 'sale.market.intelligence'


class Intelligence_Party(ModelSQL):
    "Market Intelligence - Customer"
    __name__ = 'sale.market.intelligence-party.party'


class Intelligence_Product(ModelSQL):
    "Market Intelligence - Product"
    __name__ = 'sale.market.intelligence-product.product'


class Intelligence_Competitor(ModelSQL):
    "Market Intelligence - Competitor"
    __name__ = 'sale.market.intelligence-competitor'
