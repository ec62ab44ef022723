// The notice that says which device is blocked (or missing, or busy) and how to allow it, in the page's language.
import type { MediaFailure, MediaProblem } from './local-media.js';
import { t } from './page-strings.js';
import { $ } from './view.js';

const TITLES: Record<MediaProblem, { camera: string; microphone: string; both: string }> = {
  blocked: t.media.blockedTitle,
  not_found: t.media.notFound,
  in_use: t.media.inUse,
  failed: t.media.failedTitle,
};
const HOW: Record<MediaProblem, string> = { blocked: t.media.blockedHow, not_found: t.media.notFoundHow, in_use: t.media.inUseHow, failed: t.media.failedHow };

/** Shows device problems until the person dismisses them or the devices work; "Try again" calls `retry`. */
export class MediaNotice {
  readonly #root = $('media-problem');

  constructor(retry: () => Promise<void>) {
    $('media-retry').addEventListener('click', () => void retry());
    $('media-dismiss').addEventListener('click', () => this.hide());
  }

  show(failures: MediaFailure[]) {
    const camera = failures.find((f) => f.kind === 'video');
    const mic = failures.find((f) => f.kind === 'audio');
    const titles =
      camera && mic && camera.problem === mic.problem
        ? [TITLES[camera.problem].both]
        : [camera && TITLES[camera.problem].camera, mic && TITLES[mic.problem].microphone].filter((x): x is string => !!x);
    // The most actionable advice first: a block is fixed by the person, the others by the device.
    const order: MediaProblem[] = ['blocked', 'in_use', 'not_found', 'failed'];
    const problem = order.find((p) => failures.some((f) => f.problem === p))!;
    $('media-problem-title').textContent = titles.join(' · ');
    $('media-problem-how').textContent = HOW[problem];
    this.#root.dataset.problem = problem;
    this.#root.hidden = false;
  }

  hide() {
    this.#root.hidden = true;
  }
}
