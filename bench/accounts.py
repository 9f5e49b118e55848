#!/usr/bin/env python3
"""Measures the account figures: login (argon2id) and an authenticated `me` over an API key.

Starts `datapm-registry serve` (the binary given with --bin, built with `--profile dist` or
`--release`) on a free loopback port with a fresh SQLite data directory, creates one account,
then times each request around its HTTP round trip on one keep-alive connection.

    python3 bench/accounts.py --bin target/dist/datapm-registry [--logins 50] [--mes 2000]
"""

import argparse
import base64
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Client:
    def __init__(self, port):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)

    def graphql(self, query, variables=None, headers=None):
        body = json.dumps({"query": query, "variables": variables or {}})
        all_headers = {"content-type": "application/json", **(headers or {})}
        started = time.perf_counter()
        self.conn.request("POST", "/graphql", body, all_headers)
        reply = self.conn.getresponse()
        data = reply.read()
        elapsed = time.perf_counter() - started
        answer = json.loads(data)
        if "errors" in answer:
            raise SystemExit(f"unexpected errors: {answer['errors']}")
        return answer["data"], elapsed


def wait_ready(port, deadline):
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise SystemExit("the server did not become ready in time")


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True)
    parser.add_argument("--logins", type=int, default=50)
    parser.add_argument("--mes", type=int, default=2000)
    args = parser.parse_args()

    port = free_port()
    data_dir = tempfile.mkdtemp(prefix="datapm-bench-")
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PORT": str(port),
        "LISTEN_ADDRESS": "127.0.0.1",
        "REGISTRY_URL": f"http://127.0.0.1:{port}",
        "DATAPM_DATA_DIR": data_dir,
        "ACTIVITY_LOG": "false",
        "RUST_LOG": "warn",
    }
    server = subprocess.Popen([args.bin, "serve"], env=env, stdout=subprocess.DEVNULL)
    try:
        wait_ready(port, time.time() + 20)
        client = Client(port)
        account = {"username": "bench", "emailAddress": "bench@example.com", "password": "bench-passw0rd!"}
        client.graphql("mutation($v: CreateUserInput!) { createMe(value: $v) }", {"v": account})

        login = 'mutation { login(username: "bench", password: "bench-passw0rd!") }'
        logins = [client.graphql(login)[1] for _ in range(args.logins)]
        token = client.graphql(login)[0]["login"]

        create_key = ("mutation { createAPIKey(value: {label: \"bench\", scopes: "
                      "[MANAGE_API_KEYS, READ_PRIVATE_ASSETS, MANAGE_PRIVATE_ASSETS]}) { id secret } }")
        created, _ = client.graphql(create_key, headers={"authorization": f"Bearer {token}"})
        key = created["createAPIKey"]
        api_key = base64.b64encode(f"{key['id']}.{key['secret']}".encode()).decode()

        me = "{ me { isAdmin user { username emailAddress } } }"
        mes = [client.graphql(me, headers={"x-api-key": api_key})[1] for _ in range(args.mes)]
    finally:
        server.terminate()
        server.wait(timeout=15)

    ms = lambda seconds: f"{seconds * 1000:.2f} ms"
    print("| measure | datapm-registry | target |")
    print("| --- | --- | --- |")
    print(f"| login (argon2id), p50 / p99 of {args.logins} | {ms(statistics.median(logins))} / "
          f"{ms(percentile(logins, 0.99))} | p50 < 100 ms |")
    print(f"| `me` over an API key, p50 / p99 of {args.mes} | {ms(statistics.median(mes))} / "
          f"{ms(percentile(mes, 0.99))} | p50 < 2 ms |")


if __name__ == "__main__":
    sys.exit(main())
