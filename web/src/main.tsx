// The entry point: the stylesheet and the app, mounted on #app.

import { render } from 'preact';
import { App } from './app';
import './styles.css';

const root = document.getElementById('app');
if (root) render(<App />, root);
