import './style.css';
import { startApp } from './app';

const root = document.getElementById('app');
if (root === null) {
  throw new Error('index.html has no element with id "app"');
}
void startApp(root);
