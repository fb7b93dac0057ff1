"""
The independent half of the dialect corpus check (test/unit/dialect-corpus.test.ts).

Reads JSON lines {"id", "dialect", "sql"} on stdin. For each, parses the SQL
with sqlglot in that dialect (a parse error fails the query), then writes it
as DuckDB SQL. Prints JSON lines {"id", "ok", "duckdb"} or {"id", "ok": false,
"error"}.

sqlglot is Debian's python3-sqlglot 10.6.3. It parses every engine we emit
for, but it leaves some engine functions as they are when it writes DuckDB
(BigQuery's TIMESTAMP_TRUNC, ClickHouse's toStartOfMonth, T-SQL's DATEADD...).
DUCKDB_SPELLINGS below says what each of those means, from the engine's own
documentation, and is the only translation this file adds. It never touches
SQL that sqlglot already translates.
"""

import json
import re
import sys

import sqlglot
from sqlglot import exp

SQLGLOT_DIALECT = {
    "clickhouse": "clickhouse",
    "sqlserver": "tsql",
    "snowflake": "snowflake",
    "bigquery": "bigquery",
    "redshift": "redshift",
    "trino": "trino",
    "databricks": "databricks",
    "postgres": "postgres",
    "mysql": "mysql",
    "duckdb": "duckdb",
}

UNITS = {
    "year": "year",
    "yy": "year",
    "yyyy": "year",
    "quarter": "quarter",
    "qq": "quarter",
    "month": "month",
    "mm": "month",
    "week": "week",
    "wk": "week",
    "iso_week": "week",
    "day": "day",
    "dd": "day",
    "hour": "hour",
    "hh": "hour",
    "minute": "minute",
    "mi": "minute",
    "second": "second",
    "ss": "second",
}


def unit_of(node):
    """A unit written as a keyword (MONTH), a column-like name or a string."""
    if isinstance(node, str):
        text = node
    elif isinstance(node, exp.Literal):
        text = node.this
    elif isinstance(node, (exp.Column, exp.Identifier, exp.Var)):
        text = node.name
    else:
        text = node.sql()
    unit = UNITS.get(text.lower())
    if unit is None:
        raise ValueError(f"unknown unit {text!r}")
    return unit


def interval(amount, unit):
    return exp.Interval(this=amount, unit=exp.Var(this=unit.upper()))


def add(value, amount, unit):
    """value + amount units as a TIMESTAMP; (amount) * INTERVAL '1' UNIT reads for DuckDB whatever amount's sign."""
    timestamp = exp.Cast(this=value, to=exp.DataType.build("TIMESTAMP"))
    units = exp.Mul(this=exp.Paren(this=amount), expression=interval(exp.Literal.string("1"), unit))
    return exp.Paren(this=exp.Add(this=timestamp, expression=units))


def trunc(value, unit):
    timestamp = exp.Cast(this=value, to=exp.DataType.build("TIMESTAMP"))
    return exp.Anonymous(this="DATE_TRUNC", expressions=[exp.Literal.string(unit), timestamp])


def call(name, *args):
    return exp.Anonymous(this=name, expressions=list(args))


def clickhouse_start_of(unit):
    return lambda args: trunc(args[0], unit)


def clickhouse_add(unit, sign):
    return lambda args: add(args[0], args[1] if sign > 0 else exp.Neg(this=args[1]), unit)


# name (lower case) -> function of the argument list giving the DuckDB expression.
DUCKDB_SPELLINGS = {
    # ClickHouse: toStartOf* give the bucket start; toMonday is the ISO week's Monday.
    "tostartofyear": clickhouse_start_of("year"),
    "tostartofquarter": clickhouse_start_of("quarter"),
    "tostartofmonth": clickhouse_start_of("month"),
    "tomonday": clickhouse_start_of("week"),
    # toStartOfWeek(x, 0): mode 0 starts the week on Sunday.
    "tostartofweek": lambda args: week_trunc(args[0], "sunday" if args[1].name == "0" else "mode " + args[1].name),
    "tostartofday": clickhouse_start_of("day"),
    "tostartofhour": clickhouse_start_of("hour"),
    "tostartofminute": clickhouse_start_of("minute"),
    "tostartofsecond": clickhouse_start_of("second"),
    "tostring": lambda args: exp.Cast(this=args[0], to=exp.DataType.build("VARCHAR")),
    "todatetime": lambda args: exp.Cast(this=args[0], to=exp.DataType.build("TIMESTAMP")),
    "todate": lambda args: exp.Cast(this=args[0], to=exp.DataType.build("DATE")),
    "tofloat64": lambda args: exp.Cast(this=args[0], to=exp.DataType.build("DOUBLE")),
    "toint64": lambda args: exp.Cast(this=args[0], to=exp.DataType.build("BIGINT")),
    "addyears": clickhouse_add("year", 1),
    "addmonths": clickhouse_add("month", 1),
    "adddays": clickhouse_add("day", 1),
    "addhours": clickhouse_add("hour", 1),
    "addminutes": clickhouse_add("minute", 1),
    "addseconds": clickhouse_add("second", 1),
    "subtractyears": clickhouse_add("year", -1),
    "subtractmonths": clickhouse_add("month", -1),
    "subtractdays": clickhouse_add("day", -1),
    "subtracthours": clickhouse_add("hour", -1),
    "subtractminutes": clickhouse_add("minute", -1),
    "subtractseconds": clickhouse_add("second", -1),
    "uniq": lambda args: call("APPROX_COUNT_DISTINCT", *args),
    "varsamp": lambda args: call("VAR_SAMP", *args),
    "varpop": lambda args: call("VAR_POP", *args),
    "stddevsamp": lambda args: call("STDDEV_SAMP", *args),
    "stddevpop": lambda args: call("STDDEV_POP", *args),
    "covarsamp": lambda args: call("COVAR_SAMP", *args),
    "covarpop": lambda args: call("COVAR_POP", *args),
    "positionutf8": lambda args: call("INSTR", *args),
    # Trino's truncate(x, n) drops digits past the n-th decimal.
    "truncate": lambda args: call("TRUNC", *args),
    "approximate_count_distinct__": lambda args: call("APPROX_COUNT_DISTINCT", *args),
    # quantileExactInclusive is the exact quantile interpolated between the closest ranks: PERCENTILE_CONT's.
    "quantileexactinclusive__parametric": lambda args: call("QUANTILE_CONT", args[1], args[0]),
    "lengthutf8": lambda args: call("LENGTH", *args),
    "substringutf8": lambda args: call("SUBSTR", *args),
    "lowerutf8": lambda args: call("LOWER", *args),
    "upperutf8": lambda args: call("UPPER", *args),
    "trimboth": lambda args: call("TRIM", *args),
    "trimleft": lambda args: call("LTRIM", *args),
    "trimright": lambda args: call("RTRIM", *args),
    "replaceall": lambda args: call("REPLACE", *args),
    "modulo": lambda args: exp.Mod(this=args[0], expression=args[1]),
    "parsedatetimebesteffort": lambda args: exp.Cast(this=args[0], to=exp.DataType.build("TIMESTAMP")),
    # T-SQL: DATETRUNC(unit, x) (2022+), DATEADD(unit, n, x), STDEV/VAR families, LEN, CHARINDEX(needle, haystack).
    "datetrunc": lambda args: trunc(args[1], unit_of(args[0])),
    "dateadd": lambda args: add(args[2], args[1], unit_of(args[0])),
    "stdev": lambda args: call("STDDEV_SAMP", *args),
    "stdevp": lambda args: call("STDDEV_POP", *args),
    "var": lambda args: call("VAR_SAMP", *args),
    "varp": lambda args: call("VAR_POP", *args),
    "charindex": lambda args: call("INSTR", args[1], args[0]),
    # BigQuery: TIMESTAMP_TRUNC(x, UNIT) and TIMESTAMP_ADD/SUB(x, INTERVAL n UNIT).
    "timestamp_trunc": lambda args: trunc(args[0], unit_of(args[1])),
    "datetime_trunc": lambda args: trunc(args[0], unit_of(args[1])),
}


def typed_spelling(node):
    """Nodes sqlglot parses into its own classes but writes for DuckDB as it read them."""
    # BigQuery's DATETIME_TRUNC(x, part), DATETIME_ADD / DATETIME_SUB(x, INTERVAL n UNIT); WEEK(MONDAY) is ISO's week.
    if isinstance(node, exp.DatetimeTrunc):
        part = node.args["unit"]
        if isinstance(part, exp.Week):
            return week_trunc(node.this, part.this.name.lower())
        return trunc(node.this, unit_of(part))
    if isinstance(node, exp.DatetimeAdd):
        return add(node.this, node.expression, unit_of(node.args["unit"]))
    if isinstance(node, exp.DatetimeSub):
        return add(node.this, exp.Neg(this=node.expression), unit_of(node.args["unit"]))
    # T-SQL's DATEADD(unit, n, x); sqlglot 10.6 writes an INTERVAL DuckDB cannot read when n is negative.
    if isinstance(node, exp.DateAdd):
        return add(node.this, node.expression, unit_of(node.args["unit"]))
    # ClickHouse's Nullable(T) is T in DuckDB, where every type holds NULL.
    if isinstance(node, exp.DataType) and node.this == exp.DataType.Type.NULLABLE:
        return node.expressions[0]
    # sqlglot writes VAR_POP as VARIANCE_POP, which DuckDB does not have.
    if isinstance(node, exp.VariancePop):
        return call("VAR_POP", node.this)
    return node


def week_trunc(value, start):
    """The week's first day: DuckDB's weeks start on Monday; a Sunday week is the next day's week, less a day."""
    if start == "monday":
        return trunc(value, "week")
    if start == "sunday":
        one_day = interval(exp.Literal.string("1"), "day")
        return exp.Sub(this=trunc(add(value, exp.Literal.number(1), "day"), "week"), expression=one_day)
    raise ValueError(f"a week starting on {start!r}")


def fetch_as_limit(tree):
    """T-SQL's OFFSET n ROWS FETCH NEXT m ROWS ONLY, which sqlglot 10.6 writes for DuckDB in an order it cannot read."""
    for select in tree.find_all(exp.Select):
        fetch = select.args.get("limit")
        if isinstance(fetch, exp.Fetch):
            select.set("limit", exp.Limit(expression=fetch.args["count"]))
    return tree


def duckdb_spelling(node):
    if isinstance(node, exp.Anonymous):
        rule = DUCKDB_SPELLINGS.get(str(node.this).lower())
        if rule is not None:
            return rule(list(node.expressions))
        return node
    return typed_spelling(node)


# ClickHouse's parametric aggregate call, quantileExactInclusive(p)(x), which sqlglot 10.6 cannot parse.
PARAMETRIC_CALL = re.compile(r"\b(quantileExactInclusive)\(([0-9.]+)\)\(")


# Redshift's APPROXIMATE COUNT(DISTINCT x), which sqlglot 10.6 cannot parse either.
APPROXIMATE_COUNT = re.compile(r"\bAPPROXIMATE COUNT\(DISTINCT ")


def readable(dialect, sql):
    """
    The two spellings sqlglot 10.6 cannot parse, made into plain calls:
    ClickHouse's f(p)(x) as f__parametric(p, x), and Redshift's APPROXIMATE
    COUNT(DISTINCT x) as approximate_count_distinct__(x). A textual step, so
    the check proves nothing about those calls' own syntax.
    """
    if dialect == "clickhouse":
        return PARAMETRIC_CALL.sub(lambda m: f"{m.group(1)}__parametric({m.group(2)}, ", sql)
    if dialect == "redshift":
        return APPROXIMATE_COUNT.sub("approximate_count_distinct__(", sql)
    return sql


def bottom_up(tree):
    """Respells until nothing changes: sqlglot's transform does not descend into a node it has just replaced."""
    for _ in range(20):
        before = tree.sql()
        tree = tree.transform(duckdb_spelling)
        if tree.sql() == before:
            return tree
    raise ValueError("respelling did not settle")


def double_floats(node):
    """T-SQL's FLOAT is FLOAT(53), a double; sqlglot 10.6 writes it as DuckDB's single-precision FLOAT."""
    if isinstance(node, exp.DataType) and node.this == exp.DataType.Type.FLOAT:
        return exp.DataType.build("DOUBLE")
    return node


def base_last_log(node):
    """BigQuery's and T-SQL's LOG(x, base) put the base last; sqlglot 10.6 keeps their order for DuckDB's LOG(base, x)."""
    if isinstance(node, exp.Log) and node.expression is not None:
        return exp.Log(this=node.expression, expression=node.this)
    return node


def natural_log(node):
    """ClickHouse's and T-SQL's one-argument LOG is the natural logarithm; sqlglot 10.6 writes DuckDB's LOG, base 10."""
    if isinstance(node, exp.Log) and node.expression is None:
        return exp.Ln(this=node.this)
    return node


def truncating_round(node):
    """T-SQL's ROUND(x, n, 1) truncates; sqlglot 10.6 does not know the third argument (registered below)."""
    if isinstance(node, exp.Round) and node.args.get("truncate") is not None:
        return call("TRUNC", node.this, node.args["decimals"])
    return node


# T-SQL's ROUND takes a third argument, `function`: non-zero truncates instead of rounding.
exp.Round.arg_types = {**exp.Round.arg_types, "truncate": False}

# What each dialect's SQL needs beyond sqlglot 10.6's own reading, from the engine's documentation.
DIALECT_RULES = {
    "sqlserver": [double_floats, base_last_log, natural_log, truncating_round],
    "bigquery": [base_last_log],
    "clickhouse": [natural_log],
}


def check(dialect, sql):
    read = SQLGLOT_DIALECT[dialect]
    tree = sqlglot.parse_one(readable(dialect, sql), read=read)
    for rule in DIALECT_RULES.get(dialect, []):
        tree = tree.transform(rule)
    translated = fetch_as_limit(bottom_up(tree))
    return translated.sql(dialect="duckdb")


def main():
    for line in sys.stdin:
        if not line.strip():
            continue
        item = json.loads(line)
        try:
            out = {"id": item["id"], "ok": True, "duckdb": check(item["dialect"], item["sql"])}
        except Exception as error:  # every failure is reported, per query
            out = {"id": item["id"], "ok": False, "error": f"{type(error).__name__}: {error}"}
        sys.stdout.write(json.dumps(out) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
