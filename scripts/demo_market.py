# This file is part of Sales Ops.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.


def load(ctx):
    "Demo data of this area; ctx is described in scripts/demo.py"
