"""What the spider needs from a page's HTML, from one parse, computed off the reactor thread.

``analyse_page`` parses the HTML once and returns a ``PageAnalysis``: the Article
(``newscrawl.extraction.extract_document``, the same as ``newscrawl.extract``), the page
kind (``page_kind``, for pages with a headline and a body) and, for pages without a body,
whether the HTML is an application shell. ``PageAnalyser`` runs it in ``EXTRACTION_PROCESSES``
worker processes (default 1), so that extraction uses another core while the crawl process
downloads, deduplicates and writes, or in the crawl process (0). One worker takes pages in the
order they arrive, so items reach the pipelines in the same order as without it. A worker that dies is reported once, and its pages and all
later ones are analysed in the crawl process. With ``EXTRACTION_BLOCK_MODEL`` the body is chosen
by the block model (newscrawl.extraction.blockmodel), loaded once in the crawl process before the
workers fork (``scrapy crawl`` loads it when it checks the settings: a model that cannot load is refused).
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

from twisted.internet import defer

from newscrawl.discovery.heuristics import page_kind
from newscrawl.extraction import extract_document
from newscrawl.extraction.blockmodel import shipped_model
from newscrawl.extraction.document import parse_document
from newscrawl.extraction.rules import ExtractionRules
from newscrawl.items import Article
from newscrawl.rendering import looks_like_app_shell
from newscrawl.setting_values import block_model_switch, integer

logger = logging.getLogger(__name__)

PROCESSES_SETTING = "EXTRACTION_PROCESSES"
BLOCK_MODEL_SETTING = "EXTRACTION_BLOCK_MODEL"
_PR_SET_PDEATHSIG = 1  # linux/prctl.h


@dataclass
class PageAnalysis:
    problem: str | None  # why the HTML could not be parsed (not-html, empty...); None when it was
    article: Article | None = None
    kind: str | None = None  # page_kind: "article", "navigation" or None (undecided or not asked)
    app_shell: bool = False  # only checked for pages without an article body


def analyse_page(body: bytes, url: str, encoding: str | None, rules: ExtractionRules | None,
                 check_app_shell: bool = False, block_model: bool = False) -> PageAnalysis:
    doc = parse_document(body, url, encoding=encoding)
    if doc.tree is None:
        return PageAnalysis(doc.problem)
    article = extract_document(doc, rules, shipped_model() if block_model else None)
    kind = page_kind(doc.tree, article.article_body) if article.article_body and article.headline else None
    shell = check_app_shell and not article.article_body and looks_like_app_shell(doc)
    return PageAnalysis(None, article, kind, shell)


def _ready() -> bool:
    return True


def _init_worker(parent: int) -> None:
    """A worker lives and dies with its crawl: Ctrl-C and SIGTERM are for the crawl process,
    which finishes its pages and then stops the workers; if it is killed (kill -9), so is the worker."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: watch the parent instead
        threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()
    if os.getppid() != parent:  # died before prctl took effect
        os._exit(1)


def _exit_with_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(1)


class PageAnalyser:
    """``analyse(...)`` gives a Deferred of ``analyse_page(...)``, computed in a worker process."""

    def __init__(self, processes: int = 0, block_model: bool = False) -> None:
        self.processes = processes
        self.block_model = block_model
        self._executor: ProcessPoolExecutor | None = None
        self._broken = False

    @classmethod
    def from_settings(cls, settings) -> PageAnalyser:
        """SettingError names a bad setting, or a block model that cannot be loaded."""
        use_model = block_model_switch(settings, BLOCK_MODEL_SETTING)
        if use_model:  # loaded now, in the crawl process: forked workers inherit it
            model = shipped_model()
            logger.info("Article bodies are chosen block by block by the block model (%d features, threshold %s)",
                        len(model.names), model.threshold)
        return cls(integer(settings, PROCESSES_SETTING, 1), use_model)

    def start(self) -> None:
        """Start the workers now (at spider open), before the first page needs them."""
        if self.processes and self._executor is None and not self._broken:
            # fork: the workers start in milliseconds with every module already imported.
            method = "fork" if "fork" in multiprocessing.get_all_start_methods() else None
            self._executor = ProcessPoolExecutor(self.processes, mp_context=multiprocessing.get_context(method),
                                                 initializer=_init_worker, initargs=(os.getpid(),))
            self._executor.submit(_ready)

    def stop(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    def analyse(self, body: bytes, url: str, encoding: str | None, rules: ExtractionRules | None,
                check_app_shell: bool = False) -> defer.Deferred:
        args = (body, url, encoding, rules, check_app_shell, self.block_model)
        if self._executor is None:
            return defer.succeed(analyse_page(*args))
        from twisted.internet import reactor

        result = defer.Deferred()
        try:
            future = self._executor.submit(analyse_page, *args)
        except (BrokenProcessPool, RuntimeError) as error:
            return defer.succeed(self._inline(error, args))

        def done(future) -> None:  # in the executor's thread
            if future.cancelled():  # the crawl is closing
                reactor.callFromThread(result.errback, defer.CancelledError(url))
                return
            error = future.exception()
            if error is None:
                reactor.callFromThread(result.callback, future.result())
            elif isinstance(error, BrokenProcessPool):
                reactor.callFromThread(lambda: result.callback(self._inline(error, args)))
            else:
                reactor.callFromThread(result.errback, error)

        future.add_done_callback(done)
        return result

    def _inline(self, error: BaseException, args: tuple) -> PageAnalysis:
        if not self._broken:
            self._broken = True
            logger.warning("The extraction worker process failed (%s): pages are now analysed in the crawl "
                           "process (pid %d)", error or type(error).__name__, os.getpid())
            executor, self._executor = self._executor, None
            if executor is not None:  # its other pages fail as broken too, and come here
                executor.shutdown(wait=False)
        return analyse_page(*args)
