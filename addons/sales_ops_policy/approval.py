# This file is part of Sales Ops.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.model import ModelSQL, ModelView


class Request(ModelSQL, ModelView):
    "Approval Request"
    __name__ = 'approval.request'
