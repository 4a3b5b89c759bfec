/*
 * A Modbus TCP slave on libmodbus for tests and benchmarks (Debian libmodbus-dev ships no server binary).
 * Usage: libmodbus-server PORT [VALUES_FILE]
 *   Every table has 10000 entries at addresses 0..9999, filled with a pattern:
 *     coils[i] = i % 3 == 0, discrete inputs[i] = i % 2 == 1,
 *     holding[i] = i, input registers[i] = 0x8000 | i.
 *   VALUES_FILE lines "hr|ir|co|di ADDRESS VALUE" (VALUE decimal or 0x hex) override the pattern.
 * Prints "listening PORT" on stdout once it accepts connections; serves many connections with select().
 * Build: gcc -O2 -o libmodbus-server libmodbus-server.c $(pkg-config --cflags --libs libmodbus)
 */
#include <errno.h>
#include <modbus.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#define ENTRIES 10000

static void load(modbus_mapping_t *m, const char *path) {
    FILE *f = fopen(path, "r");
    char table[8];
    unsigned long address, value;
    if (f == NULL) {
        perror("values file");
        exit(2);
    }
    while (fscanf(f, "%7s %lu %li", table, &address, (long *)&value) == 3) {
        if (address >= ENTRIES) continue;
        if (strcmp(table, "hr") == 0) m->tab_registers[address] = (uint16_t)value;
        else if (strcmp(table, "ir") == 0) m->tab_input_registers[address] = (uint16_t)value;
        else if (strcmp(table, "co") == 0) m->tab_bits[address] = value ? 1 : 0;
        else if (strcmp(table, "di") == 0) m->tab_input_bits[address] = value ? 1 : 0;
    }
    fclose(f);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s PORT [VALUES_FILE]\n", argv[0]);
        return 2;
    }
    int port = atoi(argv[1]);
    modbus_t *ctx = modbus_new_tcp("127.0.0.1", port);
    modbus_mapping_t *m = modbus_mapping_new(ENTRIES, ENTRIES, ENTRIES, ENTRIES);
    if (ctx == NULL || m == NULL) {
        fprintf(stderr, "init: %s\n", modbus_strerror(errno));
        return 1;
    }
    for (int i = 0; i < ENTRIES; i++) {
        m->tab_bits[i] = i % 3 == 0;
        m->tab_input_bits[i] = i % 2 == 1;
        m->tab_registers[i] = (uint16_t)i;
        m->tab_input_registers[i] = (uint16_t)(0x8000 | i);
    }
    if (argc > 2) load(m, argv[2]);

    int server = modbus_tcp_listen(ctx, 64);
    if (server < 0) {
        fprintf(stderr, "listen: %s\n", modbus_strerror(errno));
        return 1;
    }
    printf("listening %d\n", port);
    fflush(stdout);

    uint8_t query[MODBUS_TCP_MAX_ADU_LENGTH];
    fd_set all;
    FD_ZERO(&all);
    FD_SET(server, &all);
    int max_fd = server;
    for (;;) {
        fd_set ready = all;
        if (select(max_fd + 1, &ready, NULL, NULL, NULL) < 0) {
            if (errno == EINTR) continue;
            perror("select");
            return 1;
        }
        for (int fd = 0; fd <= max_fd; fd++) {
            if (!FD_ISSET(fd, &ready)) continue;
            if (fd == server) {
                int client = accept(server, NULL, NULL);
                if (client >= 0) {
                    FD_SET(client, &all);
                    if (client > max_fd) max_fd = client;
                }
                continue;
            }
            modbus_set_socket(ctx, fd);
            int rc = modbus_receive(ctx, query);
            if (rc > 0) {
                modbus_reply(ctx, query, rc, m);
            } else if (rc == -1) {
                close(fd);
                FD_CLR(fd, &all);
            }
        }
    }
}
