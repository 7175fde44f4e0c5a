#!/usr/bin/env python3
# This file is part of Sales Ops.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Customer tier recompute of many customers (policy P4.3.1): the one-pass
Party.compute_tiers against the bare SQL aggregate of the sales and a
per-customer ORM loop, in the same run.

Builds a throwaway database (a new PostgreSQL database, dropped at the end,
or SQLite in a temporary directory with --sqlite) and makes through the
ORM a company, 40 salespeople, a customer and 7 orders of a service with 1
to 7 lines, quoted, confirmed and processed (so that the amount cache of
sale.sale is filled).  It then copies them with SQL (COPY on PostgreSQL):
--customers customers (default 100,000; half with an owner, 30 % with a
potential value) and orders until --lines lines (default 10 per customer,
about 250,000 orders), over the last 15 months, 95 % confirmed, processing
or done, each customer ordering with its own frequency and order size
(log-normal) so that the scores spread over all tiers, and runs ANALYZE.
No opportunities nor collection stages are copied: the potential is the
customer's own value and the payment criterion is full for every customer
with an order.  The module's tiers are used (Key >= 70, Important 40-70,
Ordinary 0-40); they have no default credit limit unless --credit-limit.

It times (a) the bare aggregate: the GROUP BY of the confirmed orders per
customer in the window (sum of the amount cache, count, last date), and
Party.purchase_query() with the scope of compute_tiers, both executed and
fetched (median of --repeat); (b) the first full recompute
Party.compute_tiers(), every customer in scope written; (c) the recompute
after the order amounts of --change (5 %) of the customers were changed by
SQL so that their tier changes (half raised to the amount target, half cut
to 1 %); (d) a recompute with nothing changed; (e) a naive loop that, per
customer, searches its orders, opportunities and collection stages through
the ORM, sums in Python, scores, and writes the tier, its history, its
change log and key-change notice, credit limit and moves its planned
revisit one customer at a time (no revisit is created, as in
compute_tiers), run on --sample customers whose tier was cleared and
extrapolated linearly to all customers; it checks that the loop gives the
tiers compute_tiers gave.  --profile then changes another 5 % and prints
the cProfile of that recompute.

Run on 30 Nov 2026 on the 2-core development machine, quiet, PostgreSQL
15, compute_tiers writing by SQL with one prepared insert over all rows;
the loop and compute_tiers agree on the sample:
    100,000 customers, 249,682 orders, 1,000,000 lines (copied in 82 s)
    65,338 customers with an order in the window, 82,502 in scope
    tiers: Ordinary 52,123, Important 24,287, Key 6,091, none 17,499
                                      time    / bare aggregate
    bare aggregate (GROUP BY)        0.392 s       1x
    purchase_query() fetched         0.658 s     1.7x
    first recompute (82,502 written) 11.31 s      29x
    5.0 % changed (4,998 written)     1.83 s     4.7x  (goal <= 4x)
    nothing changed                   0.83 s     2.1x
    per-customer ORM loop           10.44 s for 500 customers, 2,088 s
        extrapolated linearly to 100,000 (21 ms a customer): 185x the
        first recompute, 1,143x the 5 % recompute
    rows made: 88,000 tier histories, 88,000 file changes, no revisit
        (their creation is left to the daily task Revisit.plan)
A run beside the module's tests gave 1.50 s against 0.358 s, 4.2x.  The
goal is missed by a little: the scan alone is about 2x (nothing changed)
and the writes of the 4,998 changed customers add about 1 s (one UPDATE
per tier, the tier history and the file change log each one prepared
INSERT run over all rows, the changes' ids, Revisit.plan, the notices).
Earlier versions: through the ORM 54 s (96x); multi-row INSERTs of 100
rows 3.02 s (7.2x), most of it psycopg parsing about 700 placeholders a
statement client-side (_queries._query2pg_nocache in cProfile).
The module activation takes 5-6 minutes on PostgreSQL; DB_CACHE=<dir>
reuses a built database (wipe it when the module changes).

Run by hand, with assertions off (see TRYTON-NOTES, "quadratic trap"):

    PYTHONOPTIMIZE=1 .venv/bin/python bench/customer_tier.py
    PYTHONOPTIMIZE=1 .venv/bin/python bench/customer_tier.py \\
        --customers 5000 --profile
"""
import argparse
import datetime as dt
import math
import random
import sys
import time
from collections import Counter, defaultdict
from decimal import Decimal

from common import (
    accumulate, add_repeat_option, add_sqlite_option, analyze, conclude,
    insert_rows, make_template_orders, median_time, profile_report,
    run_profiled, template_rows, throwaway_database, timed_retried)

EMPLOYEES = 40
TEMPLATE_LINES = range(1, 8)    # lines of the template sales: 4 on average
HISTORY_DAYS = 455              # sales spread over the last 15 months
SALE_STATES = ['confirmed', 'processing', 'done']


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--customers', type=int, default=100_000,
        help="number of customers (default: %(default)s)")
    parser.add_argument('--lines', type=int, default=None,
        help="number of sale lines (default: 10 per customer)")
    parser.add_argument('--change', type=float, default=0.05,
        help="share of the customers made to change tier "
        "(default: %(default)s)")
    parser.add_argument('--sample', type=int, default=500,
        help="customers of the per-customer loop (default: %(default)s)")
    add_repeat_option(parser)
    parser.add_argument('--credit-limit', action='store_true',
        help="give the tiers a default credit limit (the module's tiers "
        "have none), so that compute_tiers applies it")
    parser.add_argument('--profile', action='store_true',
        help="after the timings, change the tiers of another share of "
        "the customers and profile that recompute with cProfile")
    add_sqlite_option(parser)
    return parser.parse_args(argv)


def make_templates(credit_limit):
    """Make through the ORM a company, the salespeople, a customer and one
    confirmed order per number of lines in TEMPLATE_LINES; return the ids
    of the company, the salespeople, the customer and the orders"""
    from trytond.modules.account.tests import create_chart, get_fiscalyear
    from trytond.modules.company.tests import (
        create_company, create_employee, set_company)
    from trytond.pool import Pool

    pool = Pool()
    Template = pool.get('product.template')
    Uom = pool.get('product.uom')
    Tier = pool.get('sale.customer.tier')
    FiscalYear = pool.get('account.fiscalyear')

    company = create_company()
    employees = [create_employee(company, f"Salesperson {i}")
        for i in range(EMPLOYEES)]
    with set_company(company):
        create_chart(company)
        fiscalyear = get_fiscalyear(company)
        fiscalyear.save()
        FiscalYear.create_period([fiscalyear])
        unit, = Uom.search([('name', '=', "Unit")])
        template = Template(name="Support", type='service',
            default_uom=unit, sale_uom=unit, salable=True,
            list_price=Decimal(100), products=[{}])
        template.save()
        product, = template.products
        customer, sales = make_template_orders(
            company, TEMPLATE_LINES, [product], unit, Decimal(100),
            employee=employees[0], invoice_method='manual')
        if any(s.untaxed_amount_cache is None for s in sales):
            raise RuntimeError("template orders without amount cache: "
                + ', '.join(s.state for s in sales))
        if credit_limit:
            limits = {'KEY': 50_000, 'IMP': 20_000, 'ORD': 5_000}
            for tier in Tier.search([]):
                tier.credit_limit = Decimal(limits.get(tier.code, 1_000))
                tier.save()
    return (company.id, [e.id for e in employees], customer.id,
        [s.id for s in sales])


def copy_templates(rng, args, employee_ids, customer_id, sale_ids, today):
    """Copy with SQL the template customer args.customers times (half with
    an owner, a third with a potential value) and the template orders until
    args.lines lines, over the last HISTORY_DAYS days, with amounts varied
    per customer so that the scores spread over all tiers"""
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    pool = Pool()
    Party = pool.get('party.party')
    Sale = pool.get('sale.sale')
    Line = pool.get('sale.line')
    cursor = Transaction().connection.cursor()
    party_t, sale_t, line_t = (
        Party.__table__(), Sale.__table__(), Line.__table__())

    parties, party_columns, next_party = template_rows(
        party_t, [customer_id])
    template_party = parties[customer_id]
    sales, sale_columns, next_sale = template_rows(sale_t, sale_ids)
    cursor.execute(*line_t.select(line_t.id, line_t.sale,
            where=line_t.sale.in_(sale_ids)))
    line_ids = defaultdict(list)
    for id_, sale in cursor:
        line_ids[sale].append(id_)
    lines, line_columns, next_line = template_rows(
        line_t, [i for ids in line_ids.values() for i in ids])
    by_count = {len(line_ids[s]): s for s in sale_ids}

    # customers: how often they order and the size of their orders
    party_rows, weights, scales = [], [], []
    now = dt.datetime.now()
    for n in range(args.customers):
        row = dict(template_party)
        row.update(id=next_party + n, name=f"Customer {n}",
            code=f"BT{next_party + n}", create_date=now, write_date=None,
            customer_tier=None, last_reviewed=None,
            owner=rng.choice(employee_ids) if rng.random() < 0.5 else None,
            potential_value=(Decimal(rng.randrange(0, 150_000))
                if rng.random() < 0.3 else None))
        party_rows.append([row[c] for c in party_columns])
        weights.append(rng.lognormvariate(0, 1.0))
        scales.append(rng.lognormvariate(math.log(9000), 1.1))
    insert_rows(party_t, party_columns, party_rows)
    del party_rows

    lines_count = args.lines or 10 * args.customers
    states = (['processing'] * 60 + ['done'] * 27 + ['confirmed'] * 8
        + ['cancelled'] * 3 + ['draft'] * 2)
    sale_rows, line_rows = [], []
    cum_weights = list(accumulate(weights))
    made = 0
    sale_id, line_id = next_sale, next_line
    while made < lines_count:
        customer = rng.choices(
            range(args.customers), cum_weights=cum_weights)[0]
        count = rng.choice(TEMPLATE_LINES)
        template = sales[by_count[count]]
        target = scales[customer] * rng.lognormvariate(0, 0.5)
        total = Decimal(0)
        for old in line_ids[template['id']]:
            quantity = rng.randint(1, 10)
            price = Decimal(target / count / quantity * rng.uniform(0.5, 1.5)
                ).quantize(Decimal('0.01'))
            row = dict(lines[old])
            row.update(id=line_id, sale=sale_id, quantity=quantity,
                unit_price=price, create_date=now)
            if 'base_price' in row:
                row['base_price'] = price
            line_rows.append([row[c] for c in line_columns])
            total += price * quantity
            line_id += 1
        made += count
        state = rng.choice(states)
        date = today - dt.timedelta(days=rng.randrange(HISTORY_DAYS))
        row = dict(template)
        row.update(id=sale_id, number=f"BS{sale_id}", reference=None,
            party=next_party + customer, sale_date=date, state=state,
            create_date=now,
            untaxed_amount_cache=None if state == 'draft' else total,
            tax_amount_cache=None if state == 'draft' else Decimal(0),
            total_amount_cache=None if state == 'draft' else total)
        sale_rows.append([row[c] for c in sale_columns])
        sale_id += 1
    insert_rows(sale_t, sale_columns, sale_rows)
    insert_rows(line_t, line_columns, line_rows)
    return (list(range(next_party, next_party + args.customers)),
        len(sale_rows), len(line_rows))


def window(today):
    from trytond.pool import Pool
    config = Pool().get('sale.configuration')(1)
    return today - dt.timedelta(days=config.tier_window_days or 365)


def bare_aggregate(company_id, today):
    """The raw GROUP BY of the confirmed orders per customer in the window:
    sum of the amount cache, count, last date; executed and fetched"""
    from sql.aggregate import Count, Max, Sum
    from sql.conditionals import Coalesce

    from trytond.pool import Pool
    from trytond.transaction import Transaction
    sale = Pool().get('sale.sale').__table__()
    cursor = Transaction().connection.cursor()
    cursor.execute(*sale.select(
            sale.party,
            Sum(Coalesce(sale.untaxed_amount_cache, 0)),
            Count(),
            Max(sale.sale_date),
            where=sale.state.in_(SALE_STATES)
            & (sale.company == company_id)
            & (sale.sale_date >= window(today)) & (sale.sale_date <= today),
            group_by=[sale.party]))
    return cursor.fetchall()


def bare_purchase_query(today):
    "Party.purchase_query() with the scope of compute_tiers, fetched"
    from sql import Null

    from trytond.pool import Pool
    from trytond.transaction import Transaction
    Party = Pool().get('party.party')
    party = Party.__table__()
    query = Party.purchase_query(date=today)
    cursor = Transaction().connection.cursor()
    cursor.execute(*query.select(query.id, query.score, query.tier,
            where=(query.orders > 0) | (query.tier != Null)
            | query.id.in_(party.select(party.id,
                    where=party.owner != Null))))
    return cursor.fetchall()


def purchases(today):
    "Per customer id: amount, orders, score from Party.purchase_query()"
    from trytond.transaction import Transaction
    from trytond.pool import Pool
    query = Pool().get('party.party').purchase_query(date=today)
    cursor = Transaction().connection.cursor()
    cursor.execute(*query.select(
            query.id, query.amount, query.orders, query.score))
    return {i: (float(a or 0), o, float(s or 0)) for i, a, o, s in cursor}


def stored_tiers(party_ids=None):
    "The stored tier per customer id"
    from trytond.pool import Pool
    from trytond.tools import reduce_ids
    from trytond.transaction import Transaction
    party = Pool().get('party.party').__table__()
    cursor = Transaction().connection.cursor()
    where = party.code.like('BT%')
    if party_ids is not None:
        where &= reduce_ids(party.id, party_ids)
    cursor.execute(*party.select(party.id, party.customer_tier, where=where))
    return dict(cursor)


def tier_names():
    from trytond.pool import Pool
    Tier = Pool().get('sale.customer.tier')
    names = {t.id: t.name for t in Tier.search([
                ('active', 'in', [True, False])])}
    names[None] = "(none)"
    return names


def change_tiers(rng, share, today, customer_ids):
    """Change the order amounts of about share of the customers with SQL so
    that their tier changes: half of them up (amounts raised to the target),
    half down (amounts cut to 1 %); return the number of customers touched"""
    from sql.operators import Mul

    from trytond.pool import Pool
    from trytond.tools import grouped_slice, reduce_ids
    from trytond.transaction import Transaction

    pool = Pool()
    Configuration = pool.get('sale.configuration')
    Tier = pool.get('sale.customer.tier')
    Sale = pool.get('sale.sale')
    Line = pool.get('sale.line')
    config = Configuration(1)
    tiers = Tier.search([])
    tier_of = Tier.of_score(tiers)
    target = float(config.tier_amount_target)
    weight = config.tier_weight_amount
    stored = stored_tiers(customer_ids)
    up, down = [], []
    for id_, (amount, orders, score) in purchases(today).items():
        if id_ not in stored or not orders:
            continue
        points = weight * min(amount / target, 1)
        raised = tier_of(int(score - points + weight + 0.5))
        cut = tier_of(int(score - points + weight * min(
                    amount * 0.01 / target, 1) + 0.5))
        if 0 < amount < target and raised != stored[id_]:
            up.append((id_, target / amount))
        elif cut != stored[id_]:
            down.append((id_, 0.01))
    wanted = int(len(customer_ids) * share)
    chosen = (rng.sample(up, min(len(up), wanted // 2))
        + rng.sample(down, min(len(down), wanted - wanted // 2)))
    sale, line = Sale.__table__(), Line.__table__()
    cursor = Transaction().connection.cursor()
    by_factor = defaultdict(list)
    for id_, factor in chosen:
        # rounded up to the cent so that the sum reaches the target
        by_factor[math.ceil(factor * 100 + 1) / 100].append(id_)
    for factor, ids in by_factor.items():
        for sub in grouped_slice(ids):
            sub = list(sub)
            sales = sale.select(sale.id, where=reduce_ids(sale.party, sub))
            for table, columns in [
                    (sale, ['untaxed_amount_cache', 'total_amount_cache']),
                    (line, ['unit_price'])]:
                where = (reduce_ids(sale.party, sub) if table is sale
                    else line.sale.in_(sales))
                cursor.execute(*table.update(
                        [getattr(table, c) for c in columns],
                        [Mul(getattr(table, c), Decimal(str(factor)))
                            for c in columns],
                        where=where))
    return len(chosen)


def naive_score(party, company_id, today, config, start):
    "The score of the customer computed through the ORM"
    from trytond.pool import Pool
    pool = Pool()
    Sale = pool.get('sale.sale')
    Opportunity = pool.get('sale.opportunity')
    Stage = pool.get('sale.collection.stage')

    sales = Sale.search([
            ('party', '=', party.id),
            ('company', '=', company_id),
            ('state', 'in', SALE_STATES),
            ('sale_date', '>=', start),
            ('sale_date', '<=', today),
            ])
    amount = sum((s.untaxed_amount or 0 for s in sales), Decimal(0))
    orders = len(sales)
    if party.potential_value is not None:
        potential = party.potential_value
    else:
        potential = sum(
            ((o.amount or 0) * Decimal(str(o.conversion_probability or 0))
                for o in Opportunity.search([
                        ('party', '=', party.id),
                        ('company', '=', company_id),
                        ('state', 'in', ['lead', 'opportunity']),
                        ])), Decimal(0))
    due = on_time = Decimal(0)
    for stage in Stage.search([
                ('plan.party', '=', party.id),
                ('plan.company', '=', company_id),
                ('plan.state', '=', 'confirmed'),
                ('due_date', '>=', start),
                ('due_date', '<', today),
                ]):
        due += stage.amount or 0
        on_time += stage.collected_on_time or 0
    if due > 0:
        paid = float(on_time / due)
    else:
        paid = 1.0 if orders else 0.0

    def factor(value, target):
        return min(float(value) / float(target), 1.0)
    score = (config.tier_weight_amount
        * factor(amount, config.tier_amount_target)
        + config.tier_weight_frequency
        * factor(orders, config.tier_frequency_target)
        + config.tier_weight_potential
        * factor(potential, config.tier_potential_target)
        + config.tier_weight_payment * min(paid, 1.0))
    return int(score + 0.5)


def naive_loop(party_ids, company_id, today):
    """Per customer: search its orders, opportunities and collection stages
    through the ORM, sum in Python, score, and when the tier changes write
    it, its history, its change log and key-change notice, credit limit and
    move its planned revisit one customer at a time (as compute_tiers, no
    revisit is created)"""
    from trytond.pool import Pool
    pool = Pool()
    Configuration = pool.get('sale.configuration')
    Party = pool.get('party.party')
    Tier = pool.get('sale.customer.tier')
    History = pool.get('sale.customer.tier.history')
    Change = pool.get('sale.customer.change')
    Field = pool.get('ir.model.field')
    Revisit = pool.get('sale.customer.revisit')
    config = Configuration(1)
    start = window(today)
    tiers = Tier.search([])
    tier_of = Tier.of_score(tiers)
    field, = Field.search([
            ('model', '=', 'party.party'), ('name', '=', 'customer_tier')])
    for party_id in party_ids:
        party = Party(party_id)
        score = naive_score(party, company_id, today, config, start)
        tier = tier_of(score)
        previous = party.customer_tier.id if party.customer_tier else None
        if tier != previous:
            Party.write([party], {'customer_tier': tier})
            History.create([{
                        'party': party.id, 'date': today, 'tier': tier,
                        'previous_tier': previous, 'score': score}])
            change, = Change.create([{
                        'party': party.id, 'field': field.id,
                        'old_value': (Tier(previous).rec_name
                            if previous else None),
                        'new_value': Tier(tier).rec_name if tier else None,
                        'key': True}])
            Party.notify_key_changes([change.id])
            Party.apply_tier_strategy({tier: [party.id]}, tiers)
            Revisit.plan([party.id], move=True, create=False)


def reset_tiers(party_ids):
    "Clear the stored tier of the customers with SQL"
    from trytond.pool import Pool
    from trytond.tools import reduce_ids
    from trytond.transaction import Transaction
    party = Pool().get('party.party').__table__()
    Transaction().connection.cursor().execute(*party.update(
            [party.customer_tier], [None],
            where=reduce_ids(party.id, party_ids)))


def count_rows(model):
    from trytond.pool import Pool
    return Pool().get(model).search([], count=True)


def main(argv=None):
    args = parse_args(argv)
    with throwaway_database('sales_ops_policy', 'bench_customer_tier',
            args.sqlite, 'bench-tier-', test_pool=False) as db_name:
        from trytond.pool import Pool
        from trytond.transaction import Transaction

        failures = []
        figures = {}
        today = dt.date.today()
        (company_id, employee_ids, customer_id, sale_ids), duration = (
            timed_retried(make_templates, args.credit_limit))
        print(f"{len(sale_ids)} template orders made through the ORM: "
            f"{duration:.0f} s", flush=True)
        rng = random.Random(2026)
        with Transaction().start(db_name, 1, context={
                    'company': company_id}) as transaction:
            start = time.perf_counter()
            customer_ids, sales, lines = copy_templates(
                rng, args, employee_ids, customer_id, sale_ids, today)
            transaction.commit()
            analyze()
            transaction.commit()
            print(f"{len(customer_ids)} customers, {sales} orders, "
                f"{lines} lines copied by SQL: "
                f"{time.perf_counter() - start:.0f} s", flush=True)
            recompute = Pool().get('party.party').compute_tiers
            names = tier_names()

            # (a) the bare aggregate and the purchase query
            bare, rows = median_time(
                lambda: bare_aggregate(company_id, today), args.repeat)
            figures['bare'] = bare
            print(f"bare aggregate:        {bare:8.3f} s "
                f"({len(rows)} customers, median of {args.repeat})",
                flush=True)
            query_time, rows = median_time(
                lambda: bare_purchase_query(today), args.repeat)
            figures['query'] = query_time
            print(f"purchase_query():      {query_time:8.3f} s "
                f"({len(rows)} customers in scope)", flush=True)

            # (b) the first full recompute
            start = time.perf_counter()
            changed = recompute()
            first = time.perf_counter() - start
            start = time.perf_counter()
            transaction.commit()
            commit = time.perf_counter() - start
            figures['first'] = first
            first_count = sum(len(v) for v in changed.values())
            tiers = Counter(stored_tiers().values())
            print(f"first recompute:       {first:8.3f} s "
                f"({first_count} customers written, commit "
                f"{commit:.2f} s); "
                + ', '.join(f"{names[t]}: {c}" for t, c in sorted(
                        tiers.items(), key=lambda i: -i[1])),
                flush=True)

            # (c) about args.change of the customers change tier
            touched = change_tiers(rng, args.change, today, customer_ids)
            transaction.commit()
            start = time.perf_counter()
            changed = recompute()
            update = time.perf_counter() - start
            start = time.perf_counter()
            transaction.commit()
            commit = time.perf_counter() - start
            figures['update'] = update
            update_count = sum(len(v) for v in changed.values())
            print(f"recompute, {update_count / len(customer_ids):.1%} "
                f"changed: {update:8.3f} s ({update_count} customers "
                f"written of {touched} touched, commit {commit:.2f} s; "
                f"{update / bare:.1f}x the bare aggregate)",
                flush=True)

            # (d) nothing changed
            start = time.perf_counter()
            changed = recompute()
            idle = time.perf_counter() - start
            transaction.commit()
            figures['idle'] = idle
            print(f"recompute, no change:  {idle:8.3f} s "
                f"({sum(len(v) for v in changed.values())} written)",
                flush=True)
            if changed:
                failures.append("the recompute with nothing changed "
                    "wrote tiers")

            # (e) the per-customer ORM loop on a sample
            expected = {i: t for i, t in stored_tiers().items()
                if t is not None}
            sample = sorted(rng.sample(
                    sorted(expected), min(args.sample, len(expected))))
            reset_tiers(sample)
            transaction.commit()
            start = time.perf_counter()
            naive_loop(sample, company_id, today)
            loop_sample = time.perf_counter() - start
            transaction.commit()
            loop = loop_sample * len(customer_ids) / len(sample)
            figures['loop'] = loop
            print(f"per-customer loop:     {loop_sample:8.3f} s for "
                f"{len(sample)} customers, {loop:.0f} s extrapolated "
                f"linearly to {len(customer_ids)}", flush=True)
            got = stored_tiers(sample)
            wrong = [i for i in sample if got.get(i) != expected[i]]
            if wrong:
                failures.append(
                    f"{len(wrong)} of {len(sample)} sampled customers "
                    f"differ, e.g. customer {wrong[0]}: compute_tiers "
                    f"{names[expected[wrong[0]]]} != loop "
                    f"{names[got.get(wrong[0])]}")
            print(f"rows: {count_rows('sale.customer.tier.history')} "
                f"tier histories, {count_rows('sale.customer.change')} "
                f"file changes, {count_rows('sale.customer.revisit')} "
                f"revisits", flush=True)

            if args.profile:
                touched = change_tiers(
                    rng, args.change, today, customer_ids)
                transaction.commit()
                changed, profiled, profile = run_profiled(recompute)
                transaction.commit()
                print(f"profiled recompute: {profiled:.3f} s, "
                    f"{sum(len(v) for v in changed.values())} written "
                    f"of {touched} touched")
                print(profile_report(profile, 40))

    print(f"recompute / bare aggregate: "
        f"{figures['update'] / figures['bare']:.1f}x with "
        f"{update_count / len(customer_ids):.1%} changed (goal <= 4x), "
        f"{figures['first'] / figures['bare']:.1f}x first, "
        f"{figures['idle'] / figures['bare']:.1f}x no change")
    print(f"recompute / purchase_query(): "
        f"{figures['update'] / figures['query']:.1f}x, "
        f"{figures['first'] / figures['query']:.1f}x first, "
        f"{figures['idle'] / figures['query']:.1f}x no change")
    print(f"loop (extrapolated) / recompute: "
        f"{figures['loop'] / figures['first']:.0f}x first, "
        f"{figures['loop'] / figures['update']:.0f}x with changes")
    return conclude(failures,
        "compute_tiers and the per-customer loop agree on the sample")


if __name__ == '__main__':
    sys.exit(main())
