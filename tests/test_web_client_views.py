# This file is part of Sales Ops.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Every list and form view of the Sales Ops modules can be drawn by the web
client: each field's widget (its type unless the view names one) is one the
web client knows for that kind of view.  A date-time field in a list needs
widget="date" (and "time"): the web client has no date-time column, and
without one the whole list fails to open ("ColumnFactory is not a
constructor")."""
import re
import unittest
from pathlib import Path

from lxml import etree

from trytond.pool import Pool
from trytond.tests import test_tryton
from trytond.tests.test_tryton import with_transaction

ROOT = Path(__file__).resolve().parent.parent
SAO = ROOT / 'var' / 'sao' / 'package' / 'dist' / 'tryton-sao.js'
MODULES = ['sales_ops_policy', 'sales_ops_training', 'sales_ops_incentive']
PARSERS = {
    'tree': 'TreeXMLViewParser',
    'form': 'FormXMLViewParser',
    }


def web_client_widgets():
    "{view type: the widgets the web client's parser of that type knows}"
    source = SAO.read_text(encoding='utf-8')
    widgets = {}
    for view_type, parser in PARSERS.items():
        body = re.search(
            r'Sao\.View\.%s\.WIDGETS = \{(.*?)\};' % parser, source,
            re.DOTALL).group(1)
        widgets[view_type] = set(re.findall(r"'(\w+)':", body))
    return widgets


@unittest.skipUnless(SAO.exists(), "the web client is not installed")
class WebClientViewsTestCase(test_tryton._DBTestCase):
    "Test the views against the web client"

    module = 'sales_ops_incentive'

    @with_transaction()
    def test_widgets_known(self):
        "Each field of each list and form view has a widget it can draw"
        pool = Pool()
        View = pool.get('ir.ui.view')
        widgets = web_client_widgets()
        self.assertIn('date', widgets['tree'])
        self.assertNotIn('timestamp', widgets['tree'])
        unknown = []
        checked = 0
        # the module's views and the views its extensions change
        views = set()
        for view in View.search([('module', 'in', MODULES)]):
            while view.inherit and view.inherit.model == view.model:
                view = view.inherit
            if view.type in PARSERS and view.model:
                views.add(view)
        for view in sorted(views, key=lambda v: v.id):
            Model = pool.get(view.model)
            arch = Model.fields_view_get(
                view_id=view.id, view_type=view.type)['arch']
            for node in etree.fromstring(arch).iter('field'):
                field = Model._fields.get(node.get('name'))
                if field is None:
                    continue
                checked += 1
                widget = node.get('widget') or field._type
                if widget not in widgets[view.type]:
                    unknown.append(
                        f"{view.module}/{view.name}: {node.get('name')} "
                        f"({widget})")
        self.assertFalse(unknown, '\n'.join(unknown))
        self.assertGreater(checked, 500)
