#!/usr/bin/env python3
# This file is part of Sales Ops.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Lead value scoring of many leads (policy P3.1.2): the set-based
Opportunity.score_leads against a per-record ORM loop, in the same run.

Builds a throwaway database (SQLite in a temporary directory, or a new
PostgreSQL database with --postgresql, dropped at the end), makes a few
opportunities through the ORM and copies them with SQL INSERTs up to
--count rows (varied amount, probability, channel, customer, industry fit).
Then it times (a) score_leads over all of them and (b) a naive loop that
reads the inputs of each record and writes its score one record at a time,
checks that both give the same scores, and prints both times and the ratio
(goal: at least 50x).

Run by hand, with assertions off (see TRYTON-NOTES, "quadratic trap"):

    PYTHONOPTIMIZE=1 .venv/bin/python bench/lead_scoring.py
    PYTHONOPTIMIZE=1 .venv/bin/python bench/lead_scoring.py --postgresql

Figures measured with the commands above on the 2-core development machine
(other jobs running), 10,000 leads, both checked to give the same scores:
    SQLite 3.40      score_leads 0.13 s, per-record loop 39.1 s, ratio 294x
    PostgreSQL 15    score_leads 0.49 s, per-record loop 58.4 s, ratio 119x
Earlier runs under heavier load: SQLite 0.22 s / 90.0 s (414x), PostgreSQL
0.72 s / 89.9 s (124x).  On PostgreSQL the UPDATE rewrites every row (about
0.3 s of the total for 10,000 rows, from EXPLAIN ANALYZE).  The module
activation before the timings takes 1-3 minutes; DB_CACHE=<dir> reuses a
built database (wipe it when the module changes).
"""
import argparse
import random
import sys
import time
from decimal import Decimal

from common import insert_batches, throwaway_database

TEMPLATES = 20


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--count', type=int, default=10_000,
        help="number of leads (default: %(default)s)")
    parser.add_argument('--postgresql', action='store_true',
        help="use a new database on the local PostgreSQL")
    return parser.parse_args(argv)


def make_templates(rng):
    "Create a few opportunities through the ORM; return their ids"
    from trytond.modules.company.tests import create_company, create_employee
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    pool = Pool()
    Party = pool.get('party.party')
    Channel = pool.get('sale.lead.channel')
    Opportunity = pool.get('sale.opportunity')

    company = create_company()
    employee = create_employee(company, "Bench Salesperson")
    parties = Party.create([
            {'name': f"Customer {i}", 'size': size}
            for i, size in enumerate(
                [None, 'small', 'medium', 'large'] * 5)])
    channels = Channel.search([])
    referrer = Party(name="Referrer")
    referrer.save()
    with Transaction().set_context(company=company.id):
        opportunities = Opportunity.create([{
                    'party': rng.choice(parties).id,
                    'employee': employee.id,
                    'description': f"Template {i}",
                    'channel': (channel := rng.choice(channels)).id,
                    'referrer': (
                        referrer.id if channel.code == 'referral' else None),
                    'amount': Decimal(rng.randrange(0, 200_000, 50)),
                    'conversion_probability': rng.choice(
                        [0.1, 0.25, 0.3, 0.5, 0.7, 0.9]),
                    'industry_fit': rng.choice(
                        [None, 'good', 'fair', 'poor']),
                    } for i in range(TEMPLATES)])
    referrals = {c.id: referrer.id for c in channels
        if c.code == 'referral'}
    return ([o.id for o in opportunities], [p.id for p in parties],
        [c.id for c in channels], referrals)


def copy_templates(
        rng, template_ids, party_ids, channel_ids, referrals, count):
    "Copy the template rows with SQL INSERTs up to count leads"
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    Opportunity = Pool().get('sale.opportunity')
    table = Opportunity.__table__()
    cursor = Transaction().connection.cursor()
    cursor.execute(*table.select(
            where=table.id.in_(template_ids), order_by=table.id))
    names = [d[0] for d in cursor.description]
    rows = [dict(zip(names, r)) for r in cursor]
    columns = [n for n in names if n != 'id']
    values = []
    for i in range(count - len(template_ids)):
        row = dict(rows[i % len(rows)])
        row.update({
                'number': f"B{i:07d}",
                'party': rng.choice(party_ids),
                'channel': (channel := rng.choice(channel_ids)),
                'referrer': referrals.get(channel),
                'amount': Decimal(rng.randrange(0, 200_000, 50)),
                'conversion_probability': rng.choice(
                    [0.1, 0.25, 0.3, 0.5, 0.7, 0.9]),
                'industry_fit': rng.choice([None, 'good', 'fair', 'poor']),
                'lead_score': None,
                'lead_class': None,
                })
        values.append([row[c] for c in columns])
    insert_batches(
        cursor, table, [getattr(table, c) for c in columns], values)


def reset_scores():
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    Opportunity = Pool().get('sale.opportunity')
    table = Opportunity.__table__()
    cursor = Transaction().connection.cursor()
    cursor.execute(*table.update(
            [table.lead_score, table.lead_class], [None, None]))
    Opportunity._clear_lead_cache()


def read_scores():
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    Opportunity = Pool().get('sale.opportunity')
    table = Opportunity.__table__()
    cursor = Transaction().connection.cursor()
    cursor.execute(*table.select(
            table.id, table.lead_score, table.lead_class))
    return {i: (s, c) for i, s, c in cursor}


def naive_loop(ids):
    "Read each lead's inputs and write its score, one record at a time"
    from sales_ops_policy.lead import lead_class, lead_score

    from trytond.pool import Pool
    pool = Pool()
    Opportunity = pool.get('sale.opportunity')
    Configuration = pool.get('sale.configuration')
    rules = Configuration(1).get_lead_scoring_rules()
    for id_ in ids:
        record = Opportunity(id_)
        score = lead_score(
            rules, record.amount, record.conversion_probability,
            record.party.size if record.party else None,
            record.industry_fit,
            record.channel.score if record.channel else None)
        Opportunity.write([record], {
                'lead_score': score,
                'lead_class': lead_class(rules, score),
                })


def main(argv=None):
    args = parse_args(argv)
    with throwaway_database('sales_ops_policy', 'bench_lead',
            not args.postgresql, 'bench-lead-') as db_name:
        from trytond.pool import Pool
        from trytond.transaction import Transaction

        rng = random.Random(2026)
        with Transaction().start(db_name, 1) as transaction:
            templates = make_templates(rng)
            copy_templates(rng, *templates, args.count)
            Opportunity = Pool().get('sale.opportunity')
            ids = [o.id for o in Opportunity.search([])]
            transaction.commit()
            print(f"{len(ids)} leads", flush=True)

            # commit the reset: PostgreSQL rechecks every foreign key
            # of rows already updated by the running transaction
            reset_scores()
            transaction.commit()
            start = time.perf_counter()
            Opportunity.score_leads(Opportunity.browse(ids))
            set_based = time.perf_counter() - start
            expected = read_scores()
            print(f"score_leads:     {set_based:8.3f} s", flush=True)

            reset_scores()
            transaction.commit()
            start = time.perf_counter()
            naive_loop(ids)
            per_record = time.perf_counter() - start
            got = read_scores()
            print(f"per-record loop: {per_record:8.3f} s", flush=True)

    differences = [i for i in expected if expected[i] != got.get(i)]
    classes = {}
    for _, class_ in expected.values():
        classes[class_] = classes.get(class_, 0) + 1
    print(f"ratio:           {per_record / set_based:8.0f}x (goal >= 50x)")
    print("classes:", ', '.join(f"{k}: {v}" for k, v in sorted(
                classes.items(), key=lambda i: str(i[0]))))
    if differences:
        print(f"{len(differences)} leads score differently, e.g. "
            f"{differences[0]}: {expected[differences[0]]} "
            f"!= {got.get(differences[0])}")
        return 1
    print("both give the same scores")
    return 0


if __name__ == '__main__':
    sys.exit(main())
