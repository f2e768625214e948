"""moto's server, answering one request at a time.

`moto_server` serves requests on threads, and moto's DynamoDB checks a transaction's
conditions and applies its writes without a lock: two concurrent TransactWriteItems
can then both pass a condition that real DynamoDB lets only one pass. Serving
serially restores DynamoDB's atomicity, so concurrency tests against moto test our
code rather than moto's races. (werkzeug's single-threaded server speaks HTTP/1.0 and
closes each connection, so one client's keep-alive cannot block the others.)

It also gives TransactWriteItems a rollback whose cost is that of the transaction, not
of the table: moto backs a transaction out by deep-copying the whole table (its items
and its stream records) once per item of the transaction, so a large import, whose
every batch is a transaction, took quadratic time and tens of gigabytes. Here the
items a transaction names are saved before it runs (and the stream's length), and put
back exactly if it fails; served serially, nothing else can change them meanwhile.
"""

import argparse
import copy
import types

from werkzeug.serving import run_simple

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)


def _cheap_transaction_rollback() -> None:
    from moto.dynamodb import models
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.table import Table

    # moto's own backup becomes the live table (no copy): the undo log below restores it.
    models.copy = types.SimpleNamespace(
        deepcopy=lambda value, memo=None: value if isinstance(value, Table) else copy.deepcopy(value, memo)
    )
    transact = models.DynamoDBBackend.transact_write_items

    def saved_state(backend, transact_items):
        saved, shards = [], {}
        for entry in transact_items:
            op_type, op = next(iter(entry.items()))
            table = backend.tables.get(op.get("TableName"))
            key = op.get("Item") if op_type == "Put" else op.get("Key")
            if table is None or not isinstance(key, dict) or table.hash_key_attr not in key:
                continue
            hash_value = DynamoType(key[table.hash_key_attr])
            range_value = None
            if table.range_key_attr is not None:
                if table.range_key_attr not in key:
                    continue
                range_value = DynamoType(key[table.range_key_attr])
            current = table.get_item(hash_value, range_value)
            saved.append((table, hash_value, range_value, copy.deepcopy(current)))
            if table.stream_shard is not None:
                shards.setdefault(id(table), (table.stream_shard, len(table.stream_shard.items)))
        return saved, shards

    def restore(saved, shards) -> None:
        for table, hash_value, range_value, item in reversed(saved):
            if range_value is not None:
                if item is None:
                    table.items[hash_value].pop(range_value, None)
                    if not table.items[hash_value]:
                        table.items.pop(hash_value, None)
                else:
                    table.items[hash_value][range_value] = item
            elif item is None:
                table.items.pop(hash_value, None)
            else:
                table.items[hash_value] = item
        for shard, length in shards.values():
            del shard.items[length:]

    def transact_write_items(self, transact_items):
        saved, shards = saved_state(self, transact_items)
        try:
            return transact(self, transact_items)
        except BaseException:
            restore(saved, shards)
            raise

    models.DynamoDBBackend.transact_write_items = transact_write_items


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, required=True)
    args = parser.parse_args()
    _cheap_transaction_rollback()
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(args.host, args.port, app, threaded=False, use_reloader=False, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
