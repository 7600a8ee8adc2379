#!/usr/bin/env python3
"""Calls append_runs.lua (or a variant of it) the way the producer does, for bench/append-script-cost.sh.

append_calls.py PORT SCRIPT MODE CALLS ENTRIES [OPS_PER_ENTRY]

MODE: plain (no session), session (a producer session) or ids (a session and an operation id per entry,
in dedupe buckets). Each call appends ENTRIES entries of `op counter by ts` to one stream of a scratch
namespace. With OPS_PER_ENTRY > 1 (plain or session only) an entry instead carries that many operations
packed into one value, `n`, `ops`, `ts`: each operation `<op> US <counter> US <by> RS` (the unit and
record separators, which a counter name cannot contain): a sketch of a batch entry, to measure what Redis
would spend per operation; no processor reads this form. Prints the number of operations appended.
"""
import hashlib
import socket
import struct
import sys
import time

port, script, mode, calls, entries = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
per_entry = int(sys.argv[6]) if len(sys.argv) > 6 else 1
if mode not in ('plain', 'session', 'ids') or (per_entry > 1 and mode == 'ids'):
    sys.exit('mode must be plain, session or ids; ops per entry > 1 only without ids')

sock = socket.create_connection(('127.0.0.1', port))
replies = sock.makefile('rb')


def command(*args):
    out = [b'*%d\r\n' % len(args)]
    for a in args:
        a = a.encode() if isinstance(a, str) else a
        out.append(b'$%d\r\n%s\r\n' % (len(a), a))
    sock.sendall(b''.join(out))
    return reply()


def reply():
    line = replies.readline()
    kind, rest = line[:1], line[1:-2]
    if kind in (b'+', b':'):
        return rest
    if kind == b'-':
        sys.exit('Redis: ' + rest.decode())
    if kind == b'$':
        n = int(rest)
        return None if n < 0 else replies.read(n + 2)[:-2]
    if kind == b'*':
        return [reply() for _ in range(max(int(rest), 0))]
    sys.exit('unexpected reply ' + repr(line))


def msgpack_string(b):
    n = len(b)
    if n < 32:
        return bytes([0xa0 | n]) + b
    if n < 256:
        return bytes([0xd9, n]) + b
    if n < 65536:
        return bytes([0xda]) + struct.pack('>H', n) + b
    return bytes([0xdb]) + struct.pack('>I', n) + b


sha = command('SCRIPT', 'LOAD', open(script).read()).decode()
ns = 'cost%d' % (time.time_ns() % 10**9)
stream, sessions = ns + ':{p0}:ops', ns + ':{p0}:producers:ops'
window = 600000
session = '1:%d' % (time.time_ns() // 10**6)
names = ['n', 'ops', 'ts'] if per_entry > 1 else ['op', 'counter', 'by', 'ts']
if mode == 'ids':
    names.insert(3, 'id')
sequence, op = 1, 0
for _ in range(calls):
    values = []
    for _ in range(entries):
        ts = b'%d' % (time.time_ns() // 10**6)
        if per_entry > 1:
            packed = b''.join(b'incr\x1fc%d\x1f%d\x1e' % ((op + j) % 10000, 1 + (op + j) % 7) for j in range(per_entry))
            values += [b'%d' % per_entry, packed, ts]
        else:
            counter, by = b'c%d' % (op % 10000), b'%d' % (1 + op % 7)
            values += [b'incr', counter, by]
            if mode == 'ids':
                op_id = b'%s-%d' % (ns.encode(), op)
                values += [op_id, ts, hashlib.md5(op_id).hexdigest().encode(),
                           b'%d:%s:%s' % (len(counter), counter, op_id)]
            else:
                values.append(ts)
        op += per_entry
    keys = [stream, sessions]
    if mode == 'ids':
        seconds, micros = command('TIME')
        bucket = (int(seconds) * 1000 + int(micros) // 1000) // window
        prefix = '%s:{p0}:dedupe-ids:ops:%d:' % (ns, window)
        keys += [prefix + str(bucket), prefix + str(bucket - 1)]
    session_args = ['', ''] if mode == 'plain' else [session, str(sequence)]
    flag = '2' if mode == 'ids' else '0'
    array = bytes([0xdd]) + struct.pack('>I', len(values)) + b''.join(msgpack_string(v) for v in values)
    out = command('EVALSHA', sha, str(len(keys)), *keys, str(window), *session_args,
                  str(entries), str(len(names)), flag, *names, array)
    if not isinstance(out, list) or len(out) < entries or not all(isinstance(i, bytes) and b'-' in i for i in out[:entries]):
        sys.exit('append_runs did not append every entry: ' + repr(out[:3]))
    sequence += entries
command('DEL', stream, sessions)
print(op)
