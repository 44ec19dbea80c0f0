import { render } from 'preact';
import { ApiClient } from './api.js';
import { App } from './app.js';
import './styles.css';

render(<App api={new ApiClient()} />, document.getElementById('app')!);
