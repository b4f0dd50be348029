from tests.test_runs import *
def test_dbg(serve, tmp_path):
    server, urls = site(serve, range(1, 4), delay=0.5)
    database = f"sqlite:///{tmp_path}/x.db"
    thread, first = in_background(urls, database, CONCURRENT_REQUESTS="1")
    wait_for_lock(database)
    second = crawl(urls, database)
    thread.join()
    print(second.log)
