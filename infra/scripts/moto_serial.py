"""moto's server, answering one request at a time.

`moto_server` serves requests on threads, and moto's DynamoDB checks a transaction's
conditions and applies its writes without a lock: two concurrent TransactWriteItems
can then both pass a condition that real DynamoDB lets only one pass. Serving
serially restores DynamoDB's atomicity, so concurrency tests against moto test our
code rather than moto's races. (werkzeug's single-threaded server speaks HTTP/1.0 and
closes each connection, so one client's keep-alive cannot block the others.)
"""

import argparse

from werkzeug.serving import run_simple

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, required=True)
    args = parser.parse_args()
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(args.host, args.port, app, threaded=False, use_reloader=False, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
