# This file is part of Sales Ops.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Every user-visible string of the Sales Ops modules has a zh_CN
translation: the customer's staff read Chinese."""
from pathlib import Path

import polib

from trytond.pool import Pool
from trytond.tests import test_tryton
from trytond.tests.test_tryton import with_transaction

ROOT = Path(__file__).resolve().parent.parent
MODULES = ['sales_ops_policy', 'sales_ops_training', 'sales_ops_incentive']


class TranslationTestCase(test_tryton._DBTestCase):
    "Test the zh_CN translations"

    module = 'sales_ops_incentive'

    @with_transaction()
    def test_every_string_translated(self):
        "Each module's locale/zh_CN.po translates all its strings"
        pool = Pool()
        Translation = pool.get('ir.translation')
        TranslationSet = pool.get('ir.translation.set', type='wizard')
        # the strings of views and HTML reports are extracted on demand
        session_id, _, _ = TranslationSet.create()
        TranslationSet.execute(session_id, {}, 'set_')
        sources = 0
        for module in MODULES:
            with self.subTest(module=module):
                # the English source strings, keyed as in a .po file
                data = Translation.translation_export('en', module)
                exported = polib.pofile(data.decode('utf-8')) if data else []
                sources += len(exported)
                ours = polib.pofile(str(
                        ROOT / 'addons' / module / 'locale' / 'zh_CN.po'))
                translated = {
                    (e.msgctxt, e.msgid) for e in ours if e.msgstr}
                missing = [
                    f'{e.msgctxt} {e.msgid!r}' for e in exported
                    if (e.msgctxt, e.msgid) not in translated]
                self.assertFalse(missing, '\n'.join(missing))
        self.assertGreater(sources, 50)
