/** Renderer entry: pick the transport (Electron IPC bridge or loopback WebSocket) and mount the app. */
import { mount } from 'svelte';
import './app.css';
import App from './App.svelte';
import { pickTransport } from './lib/api/pick-transport.ts';

const target = document.getElementById('app');
if (!target) throw new Error('#app is missing from index.html');

export default mount(App, { target, props: { api: pickTransport(window) } });
