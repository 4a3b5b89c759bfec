#!/usr/bin/python3
"""Modbus TCP peer for the SimulatedPlant tests, built on Debian's python3-pymodbus (3.0 API).

Usage: /usr/bin/python3 modbus-client.py HOST PORT UNIT 'JSON list of operations'
Operations: {"fc":1|2|3|4,"address":A,"count":N}, {"fc":5,"address":A,"value":true},
            {"fc":6,"address":A,"value":V}, {"fc":15,"address":A,"values":[...]},
            {"fc":16,"address":A,"values":[...]}, {"fc":7} (read exception status, which the server does not implement).
Prints one JSON list, one result per operation: {"bits":[...]} | {"registers":[...]} | {"ok":true} | {"exception":code}
| {"error":"text"}. Addresses are 0-based PDU addresses.
"""
import json
import sys

from pymodbus.client import ModbusTcpClient
from pymodbus.other_message import ReadExceptionStatusRequest
from pymodbus.pdu import ExceptionResponse


def run(client, unit, op):
    fc = op["fc"]
    a = op.get("address", 0)
    if fc == 1:
        r = client.read_coils(a, op["count"], slave=unit)
    elif fc == 2:
        r = client.read_discrete_inputs(a, op["count"], slave=unit)
    elif fc == 3:
        r = client.read_holding_registers(a, op["count"], slave=unit)
    elif fc == 4:
        r = client.read_input_registers(a, op["count"], slave=unit)
    elif fc == 5:
        r = client.write_coil(a, bool(op["value"]), slave=unit)
    elif fc == 6:
        r = client.write_register(a, op["value"], slave=unit)
    elif fc == 15:
        r = client.write_coils(a, [bool(v) for v in op["values"]], slave=unit)
    elif fc == 16:
        r = client.write_registers(a, op["values"], slave=unit)
    elif fc == 7:
        r = client.execute(ReadExceptionStatusRequest(unit=unit))
    else:
        return {"error": "unsupported op %r" % fc}
    if isinstance(r, ExceptionResponse):
        return {"exception": r.exception_code}
    if r is None or r.isError():
        return {"error": str(r)}
    if fc in (1, 2):
        return {"bits": [bool(b) for b in r.bits[: op["count"]]]}
    if fc in (3, 4):
        return {"registers": list(r.registers)}
    return {"ok": True}


def main():
    host, port, unit, ops = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), json.loads(sys.argv[4])
    client = ModbusTcpClient(host, port=port, timeout=5, retries=0)
    if not client.connect():
        print(json.dumps([{"error": "connect failed"}]))
        return 1
    try:
        results = []
        for op in ops:
            try:
                results.append(run(client, unit, op))
            except Exception as e:  # report, keep going: one failed op must not hide the others
                results.append({"error": "%s: %s" % (type(e).__name__, e)})
        print(json.dumps(results))
    finally:
        client.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
