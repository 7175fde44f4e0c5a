# This file is part of Sales Ops.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.

from trytond.modules.company.tests import CompanyTestMixin
from trytond.tests.test_tryton import ModuleTestCase


class SalesOpsPolicyTestCase(CompanyTestMixin, ModuleTestCase):
    "Test Sales Ops Policy module"
    module = 'sales_ops_policy'
    extras = ['production']


del ModuleTestCase
