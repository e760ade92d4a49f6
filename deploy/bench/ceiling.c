/*
 * ceiling.c: the fastest FastCGI responder this machine can run behind nginx, for deploy/bench.sh to compare
 * jobs-fcgi with. It does what libfcgi's examples/threaded.c does (N threads, each with its own FCGX_Request on
 * the socket spawn-fcgi hands over as fd 0, FCGX_Accept_r serialised by a mutex) and answers every request with
 * the same JSON body (deploy/bench.sh passes ~300 bytes shaped like one job of the API, the body that nginx's own
 * reference server returns too): no parsing, no store, no log.
 *
 *   gcc -O2 -Wall -o ceiling ceiling.c -lfcgi -lpthread
 *   spawn-fcgi -F 1 -b 4096 -s SOCKET -M 0666 -- ceiling THREADS BODY
 */
#include <fcgiapp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t accept_mutex = PTHREAD_MUTEX_INITIALIZER;
static char *response;
static int response_length;

static void *serve(void *unused) {
    (void)unused;
    /* On the heap: the request's streams point back at it for as long as it lives. */
    FCGX_Request *request = malloc(sizeof *request);
    if (request == NULL || FCGX_InitRequest(request, 0, 0) != 0) {
        fprintf(stderr, "ceiling: cannot initialise a request\n");
        exit(1);
    }
    char discard[4096];
    for (;;) {
        pthread_mutex_lock(&accept_mutex);
        int accepted = FCGX_Accept_r(request);
        pthread_mutex_unlock(&accept_mutex);
        if (accepted < 0) break;
        FCGX_PutStr(response, response_length, request->out);
        /* jobs-fcgi's close: the input read to its end, then the connection closed without waiting for nginx to
         * close its side (libfcgi's own close waits up to 2 s; `detached` skips that wait). */
        while (FCGX_GetStr(discard, sizeof discard, request->in) > 0) {
        }
        request->detached = 1;
        FCGX_Finish_r(request);
    }
    return NULL;
}

int main(int argc, char **argv) {
    int threads = argc == 3 ? atoi(argv[1]) : 0;
    if (threads < 1 || threads > 1024) {
        fprintf(stderr, "usage: %s THREADS BODY\n", argv[0]);
        return 2;
    }
    const char *body = argv[2];
    const char *head = "Status: 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s";
    size_t size = strlen(head) + 20 + strlen(body) + 1;
    response = malloc(size);
    if (response == NULL) return 1;
    response_length = snprintf(response, size, head, strlen(body), body);
    if (FCGX_Init() != 0) return 1;
    /* libfcgi may turn SIGTERM into a shutdown flag that only the next accept sees: let it end the process now. */
    signal(SIGTERM, SIG_DFL);

    pthread_t *ids = calloc((size_t)threads, sizeof *ids);
    if (ids == NULL) return 1;
    for (int i = 1; i < threads; i++) {
        if (pthread_create(&ids[i], NULL, serve, NULL) != 0) return 1;
    }
    serve(NULL);
    return 0;
}
