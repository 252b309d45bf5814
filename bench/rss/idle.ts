/** Baseline of the RSS figure: a Node process started the same way, with no queue library loaded. */
import { holdOpen, started } from './signals.js';

started();
holdOpen();
