"""A TLS front for dockerd, for the engine test: requires a client certificate signed by the
test CA, then carries the bytes to /var/run/docker.sock (as `dockerd --tlsverify` would accept
them). Python's ssl module (OpenSSL) terminates TLS; nothing here is Pier code.

usage: tls_proxy.py PORT CERT KEY CA
"""
import asyncio
import ssl
import sys


async def pipe(reader, writer):
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.close()


async def handle(client_r, client_w):
    try:
        docker_r, docker_w = await asyncio.open_unix_connection("/var/run/docker.sock")
    except OSError:
        client_w.close()
        return
    await asyncio.gather(pipe(client_r, docker_w), pipe(docker_r, client_w))


async def main():
    port, cert, key, ca = sys.argv[1:5]
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    ctx.load_verify_locations(ca)
    ctx.verify_mode = ssl.CERT_REQUIRED
    server = await asyncio.start_server(handle, "127.0.0.1", int(port), ssl=ctx)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


asyncio.run(main())
