/** The panel's icon (a mortarboard), drawn with JupyterLab's icon colour classes so themes recolour it. */
import { LabIcon } from '@jupyterlab/ui-components';

const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M12 3 1 9l11 6 9-4.91V17h2V9L12 3z"/>
    <path d="M5 13.18v4L12 21l7-3.82v-4L12 17l-7-3.82z"/>
  </g>
</svg>`;

export const courseIcon = new LabIcon({ name: 'medai-mycourse:course', svgstr: svg });
