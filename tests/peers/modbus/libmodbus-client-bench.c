/*
 * The reference for the Modbus benchmark: libmodbus reading 125 holding registers in a loop.
 * Usage: libmodbus-client-bench HOST PORT SECONDS  -> prints "polls N seconds S polls_per_second R"
 * Build: gcc -O2 -o libmodbus-client-bench libmodbus-client-bench.c $(pkg-config --cflags --libs libmodbus)
 */
#include <errno.h>
#include <modbus.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s HOST PORT SECONDS\n", argv[0]);
        return 2;
    }
    modbus_t *ctx = modbus_new_tcp(argv[1], atoi(argv[2]));
    if (ctx == NULL || modbus_connect(ctx) == -1) {
        fprintf(stderr, "connect: %s\n", modbus_strerror(errno));
        return 1;
    }
    uint16_t registers[125];
    double seconds = atof(argv[3]);
    long polls = 0;
    double start = now(), elapsed = 0;
    while (elapsed < seconds) {
        if (modbus_read_registers(ctx, 0, 125, registers) != 125) {
            fprintf(stderr, "read: %s\n", modbus_strerror(errno));
            return 1;
        }
        polls++;
        if ((polls & 255) == 0) elapsed = now() - start;
    }
    elapsed = now() - start;
    printf("polls %ld seconds %.3f polls_per_second %.1f\n", polls, elapsed, polls / elapsed);
    modbus_close(ctx);
    modbus_free(ctx);
    return 0;
}
