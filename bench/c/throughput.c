/*
 * throughput.c - lifecycles per second when P threads run them at once, all
 * through one runtime handle.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "bench.h"

struct batch {
	exec_runtime *rt;
	atomic_int left;
	atomic_int failed;
};

/* Run run/wait/delete lifecycles until the batch has none left. */
static void *lifecycles(void *arg)
{
	struct batch *b = arg;

	while (atomic_fetch_sub(&b->left, 1) > 0 && !bench_stopping) {
		exec_container *c = NULL;
		exec_exit e = EXEC_EXIT_INIT;
		char id[64];
		int rc;

		new_id(id, sizeof(id));
		rc = exec_container_run(b->rt, id, bundle_true, NULL, &c);
		if (rc == EXEC_OK)
			rc = exec_container_wait(c, -1, &e);
		if (rc == EXEC_OK)
			rc = exec_container_delete(c, 0);
		if (rc != EXEC_OK) {
			fprintf(stderr, "bench: throughput lifecycle %s: %s\n", id, exec_last_error());
			if (c)
				exec_container_delete(c, 1);
			atomic_store(&b->failed, 1);
		}
		exec_container_free(c);
	}
	return NULL;
}

void group_throughput(void)
{
	static const int threads[] = { 1, 2, 4, 8 };
	char root[PATH_MAX];
	exec_runtime *rt;
	size_t t;
	int batch, i;

	make_root(NULL, "lib-throughput", root, sizeof(root));
	rt = open_runtime(cfg.runc, root);
	fprintf(stderr, "bench: throughput: %d batches of %d lifecycles per thread count\n",
	        cfg.tp_batches, cfg.tp_lifecycles);
	for (t = 0; t < sizeof(threads) / sizeof(threads[0]); t++) {
		int p = threads[t];
		samples rate = { 0 };
		char name[64];

		for (batch = 0; batch < cfg.tp_batches; batch++) {
			struct batch b = { .rt = rt };
			pthread_t tid[8];
			long long t0;

			atomic_init(&b.left, cfg.tp_lifecycles);
			atomic_init(&b.failed, 0);
			t0 = now_ns();
			for (i = 0; i < p; i++) {
				if (pthread_create(&tid[i], NULL, lifecycles, &b) != 0)
					die("pthread_create failed");
			}
			for (i = 0; i < p; i++)
				pthread_join(tid[i], NULL);
			if (atomic_load(&b.failed) || bench_stopping)
				die("a throughput lifecycle failed");
			samples_add(&rate, cfg.tp_lifecycles / ((double)(now_ns() - t0) / 1e9));
		}
		pathf(name, sizeof(name), "lib C run/wait/delete, %d thread%s", p, p > 1 ? "s" : "");
		emit_row("throughput", name, "lifecycles/s", &rate,
		         p > 1 ? "lib C run/wait/delete, 1 thread" : NULL, NULL);
		samples_free(&rate);
	}
	exec_runtime_free(rt);
}
