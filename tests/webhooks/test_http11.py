"""The webhook sender's HTTP/1.1 client (apps/webhooks/http11.py) against a raw asyncio server
whose answers each test scripts: the request as it goes out, the three kinds of body, 1xx,
keep-alive reuse, a server that closed an idle connection, and a body longer than the excerpt."""

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest

from apps.webhooks import http11


def run(coro):
    """In a thread of its own, as the sender runs its loop: a session-scoped Playwright (the
    browser tests, on the same xdist worker) keeps an event loop running on the main thread."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


async def _serve(answers):
    """A server answering the n-th request it reads with answers[n] (bytes; None closes the
    connection without answering; (bytes, "close") answers, then closes); returns (server,
    port, requests, connections)."""
    requests: list[bytes] = []
    connections = [0]

    async def handle(reader, writer):
        connections[0] += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    int(line.split(b":", 1)[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                )
                requests.append(head + await reader.readexactly(length))
                answer = answers[len(requests) - 1]
                if answer is None:
                    break
                close = isinstance(answer, tuple)
                writer.write(answer[0] if close else answer)
                await writer.drain()
                if close:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1], requests, connections


OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


def test_the_request_goes_out_pinned_and_keep_alive_reuses_the_connection():
    async def scenario():
        server, port, requests, connections = await _serve([OK, OK])
        pool = http11.Pool()
        url = f"http://hooks.example:{port}/in/x y?a=1&b=é"
        first = await pool.post(
            url, body=b'{"id":1}', headers={"Stripe-Signature": "t=1,v1=ab"},
            connect_to="127.0.0.1", host_header=f"hooks.example:{port}",
        )  # fmt: skip
        second = await pool.post(url, body=b"{}", headers={}, connect_to="127.0.0.1")
        await pool.aclose()
        server.close()
        return first, second, requests, connections[0], port

    first, second, requests, connections, port = run(scenario())
    assert first == (200, b"ok") and second == (200, b"ok")
    assert connections == 1
    head, body = requests[0].split(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    assert lines[0] == b"POST /in/x%20y?a=1&b=%C3%A9 HTTP/1.1"
    assert lines[1] == b"Host: hooks.example:%d" % port
    assert b"Stripe-Signature: t=1,v1=ab" in lines and b"Content-Length: 8" in lines
    assert body == b'{"id":1}'


def test_chunked_and_read_to_close_bodies_and_1xx():
    chunked = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n"
    to_close = b"HTTP/1.0 500 Oops\r\n\r\nbroken"

    async def scenario():
        server, port, _requests, connections = await _serve([chunked, OK])
        pool = http11.Pool()
        url = f"http://127.0.0.1:{port}/"
        got = [await pool.post(url, body=b"x", headers={}) for _ in range(2)]
        server_close = await _serve([(to_close, "close")])
        got.append(await pool.post(f"http://127.0.0.1:{server_close[1]}/", body=b"x", headers={}))
        await pool.aclose()
        server.close()
        server_close[0].close()
        return got, connections[0]

    got, connections = run(scenario())
    assert got == [(201, b"abcde"), (200, b"ok"), (500, b"broken")]
    assert connections == 1  # the chunked answer was read to its end: the connection was reused


def test_a_long_body_is_cut_to_the_excerpt_and_the_connection_not_reused():
    long = b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n" + b"a" * 5000

    async def scenario():
        server, port, _requests, connections = await _serve([long, OK])
        pool = http11.Pool()
        url = f"http://127.0.0.1:{port}/"
        got = [await pool.post(url, body=b"x", headers={}, excerpt_bytes=10) for _ in range(2)]
        await pool.aclose()
        server.close()
        return got, connections[0]

    got, connections = run(scenario())
    assert got == [(200, b"a" * 10), (200, b"ok")]
    assert connections == 2


def test_an_idle_connection_the_server_closed_is_replaced_once():
    async def scenario():
        # The second request reaches the first connection, which the server closes unanswered.
        server, port, requests, connections = await _serve([OK, None, OK])
        pool = http11.Pool()
        url = f"http://127.0.0.1:{port}/"
        got = [await pool.post(url, body=b"x", headers={}) for _ in range(2)]
        await pool.aclose()
        server.close()
        return got, len(requests), connections[0]

    got, requests, connections = run(scenario())
    assert got == [(200, b"ok"), (200, b"ok")]
    assert (requests, connections) == (3, 2)


def test_garbage_and_header_injection_are_errors():
    async def scenario():
        server, port, _requests, _connections = await _serve([b"SMTP ready\r\n\r\n"])
        pool = http11.Pool()
        with pytest.raises(http11.HttpError):
            await pool.post(f"http://127.0.0.1:{port}/", body=b"x", headers={})
        with pytest.raises(http11.HttpError):
            await pool.post(f"http://127.0.0.1:{port}/", body=b"x", headers={"X": "a\r\nInjected: 1"})
        await pool.aclose()
        server.close()

    run(scenario())


def _tls_pair(tmp_path, name):
    """A throwaway CA and a server certificate for `name` it signed: (server context, client
    context trusting only that CA)."""
    import datetime as dt
    import ssl

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC)

    def cert(subject, key, issuer, issuer_key, *, ca):
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(hours=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if ca:
            builder = builder.add_extension(
                x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
            ).add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        else:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.DNSName(subject)]), critical=False
            ).add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False
            )
        return builder.sign(issuer_key, hashes.SHA256())

    ca_key, leaf_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = cert("Clearhouse test CA", ca_key, "Clearhouse test CA", ca_key, ca=True)
    leaf = cert(name, leaf_key, "Clearhouse test CA", ca_key, ca=False)
    pem = serialization.Encoding.PEM
    (tmp_path / "leaf.pem").write_bytes(leaf.public_bytes(pem))
    (tmp_path / "leaf.key").write_bytes(
        leaf_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(tmp_path / "leaf.pem", tmp_path / "leaf.key")
    client = ssl.create_default_context(cadata=ca.public_bytes(pem).decode())
    return server, client


def test_tls_goes_to_the_pinned_address_and_checks_the_certificate_against_the_name(tmp_path):
    import ssl

    server_ctx, client_ctx = _tls_pair(tmp_path, "hooks.example")
    seen_names: list[str] = []
    server_ctx.sni_callback = lambda sock, name, ctx: seen_names.append(name)

    async def scenario():
        async def handle(reader, writer):
            await reader.readuntil(b"\r\n\r\n")
            await reader.readexactly(1)
            writer.write(OK)
            await writer.drain()
            writer.close()

        server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=server_ctx)
        port = server.sockets[0].getsockname()[1]
        pool = http11.Pool(ssl_context=client_ctx)
        url = f"https://hooks.example:{port}/in"
        # The name resolves nowhere: the connection goes to the pinned address, the certificate
        # and SNI carry the URL's name.
        good = await pool.post(url, body=b"x", headers={}, connect_to="127.0.0.1")
        # The same address reached under another name: the certificate does not match it.
        with pytest.raises(ssl.SSLCertVerificationError):
            await pool.post(f"https://other.example:{port}/in", body=b"x", headers={}, connect_to="127.0.0.1")
        await pool.aclose()
        server.close()
        return good

    assert run(scenario()) == (200, b"ok")
    assert seen_names[0] == "hooks.example"
