#!/usr/bin/python3
"""A pymodbus 3.0 slave for the Modbus tests: an independent implementation next to libmodbus and ours.

Usage:
  pymodbus-server.py tcp PORT VALUES_JSON            Modbus TCP on 127.0.0.1:PORT
  pymodbus-server.py rtu-over-tcp PORT VALUES_JSON   RTU framing (CRC) on a TCP socket, as a serial gateway
  pymodbus-server.py rtu DEVICE BAUD PARITY VALUES_JSON  RTU on a serial device (a socat pty in the tests), 8 data bits,
                                                      PARITY N|E|O, 1 stop bit (Linux ptys refuse parity: use N there)

Tables have 10000 entries at 0-based addresses (zero_mode=True) with the same pattern as libmodbus-server.c:
coils[i] = i % 3 == 0, discrete inputs[i] = i % 2 == 1, holding[i] = i, input registers[i] = 0x8000 | i.
VALUES_JSON: {"typed": [{"table": "hr"|"ir", "address": 200, "type": "float32", "order": "CDAB", "value": 1.5}, ...]}
Typed values are packed with Python's struct module, so the byte and word orders are checked against a second implementation.
Prints "listening" once the server is about to serve.
"""
import asyncio
import json
import struct
import sys

from pymodbus.datastore import ModbusSequentialDataBlock, ModbusServerContext, ModbusSlaveContext
from pymodbus.server import StartAsyncSerialServer, StartAsyncTcpServer
from pymodbus.transaction import ModbusRtuFramer, ModbusSocketFramer

ENTRIES = 10000
FORMATS = {"int16": ">h", "uint16": ">H", "int32": ">i", "uint32": ">I", "int64": ">q", "uint64": ">Q", "float32": ">f", "float64": ">d"}


def to_words(kind, order, value):
    """Big-endian bytes A B C D ... rearranged: BADC swaps bytes per word, CDAB reverses words, DCBA both."""
    data = value.encode("ascii") if kind == "string" else struct.pack(FORMATS[kind], value)
    if len(data) % 2:
        data += b"\0"
    words = [data[i:i + 2] for i in range(0, len(data), 2)]
    if order in ("BADC", "DCBA"):
        words = [w[::-1] for w in words]
    if order in ("CDAB", "DCBA") and kind != "string":
        words = words[::-1]
    return [int.from_bytes(w, "big") for w in words]


def build_context(values):
    co = [i % 3 == 0 for i in range(ENTRIES)]
    di = [i % 2 == 1 for i in range(ENTRIES)]
    hr = list(range(ENTRIES))
    ir = [0x8000 | i for i in range(ENTRIES)]
    tables = {"hr": hr, "ir": ir}
    for point in values.get("typed", []):
        words = to_words(point["type"], point.get("order", "ABCD"), point["value"])
        table = tables[point.get("table", "hr")]
        table[point["address"]:point["address"] + len(words)] = words
    store = ModbusSlaveContext(
        di=ModbusSequentialDataBlock(0, di), co=ModbusSequentialDataBlock(0, co),
        hr=ModbusSequentialDataBlock(0, hr), ir=ModbusSequentialDataBlock(0, ir), zero_mode=True)
    return ModbusServerContext(slaves=store, single=True)


async def main():
    mode = sys.argv[1]
    values_path = sys.argv[-1]
    with open(values_path, encoding="utf-8") as f:
        context = build_context(json.load(f))
    if mode == "rtu":
        print("listening", flush=True)
        await StartAsyncSerialServer(context=context, framer=ModbusRtuFramer, port=sys.argv[2], baudrate=int(sys.argv[3]),
                                     bytesize=8, parity=sys.argv[4], stopbits=1)
    else:
        framer = ModbusRtuFramer if mode == "rtu-over-tcp" else ModbusSocketFramer
        server = await StartAsyncTcpServer(context=context, framer=framer, address=("127.0.0.1", int(sys.argv[2])), defer_start=True)
        print("listening", flush=True)
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
